using System.Globalization;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace Mosaic.Ros.Bags;

/// <summary>One topic entry of metadata.yaml.</summary>
public sealed record BagMetadataTopic(BagTopic Topic, long MessageCount);

/// <summary>One storage file's entry under <c>files</c> in metadata.yaml (version 5 and later).</summary>
public sealed record BagFileInformation(string Path, long StartingTime, long Duration, long MessageCount);

/// <summary>
/// A bag's <c>metadata.yaml</c> (<c>rosbag2_bagfile_information</c>), versions 1 to 9. Reading accepts
/// every version's field names (v1 <c>topic_and_type</c>, QoS as YAML text or list); writing produces v9.
/// rosbag2 also embeds the same fields, without the <c>rosbag2_bagfile_information</c> key, in each
/// storage file (MCAP metadata record <c>rosbag2</c>, sqlite3 table <c>metadata</c>): <see cref="Parse"/>
/// reads both forms and <see cref="ToYaml"/> writes both.
/// </summary>
public sealed record BagMetadata(
    int Version,
    string StorageIdentifier,
    IReadOnlyList<string> RelativeFilePaths,
    long StartingTime,
    long Duration,
    long MessageCount,
    IReadOnlyList<BagMetadataTopic> Topics,
    string CompressionFormat = "",
    string CompressionMode = "",
    string RosDistro = "",
    IReadOnlyDictionary<string, string>? CustomData = null,
    IReadOnlyList<BagFileInformation>? Files = null)
{
    /// <summary>The file name rosbag2 uses.</summary>
    public const string FileName = "metadata.yaml";

    /// <summary>Reads and validates <paramref name="path"/>.</summary>
    public static BagMetadata Load(string path) => Parse(File.ReadAllText(path), path, embedded: false);

    /// <summary>
    /// Parses metadata text. <paramref name="embedded"/>: the form rosbag2 stores inside a storage file,
    /// whose fields sit at the top level; otherwise they must be under <c>rosbag2_bagfile_information</c>.
    /// </summary>
    /// <param name="text">YAML text.</param>
    /// <param name="source">Named in errors: the file the text came from.</param>
    /// <param name="embedded">Whether the fields are at the top level.</param>
    public static BagMetadata Parse(string text, string source, bool embedded)
    {
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            root = stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode m
                ? m : throw new BagFormatException(source, "empty or not a YAML mapping");
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new BagFormatException(source, $"invalid YAML at line {e.Start.Line}: {e.Message}", e);
        }
        var info = embedded ? root : Child(root, "rosbag2_bagfile_information") as YamlMappingNode
            ?? throw new BagFormatException(source, "missing 'rosbag2_bagfile_information'");
        try
        {
            var topics = new List<BagMetadataTopic>();
            if (Child(info, "topics_with_message_count") is YamlSequenceNode list)
            {
                foreach (var entry in list.Children.OfType<YamlMappingNode>())
                {
                    var topic = (Child(entry, "topic_metadata") ?? Child(entry, "topic_and_type")) as YamlMappingNode
                        ?? throw new BagFormatException(source, "a topics_with_message_count entry has no topic_metadata");
                    topics.Add(new BagMetadataTopic(
                        new BagTopic(Text(topic, "name"), Text(topic, "type"), Text(topic, "serialization_format", "cdr"),
                            QosText(Child(topic, "offered_qos_profiles")), Text(topic, "type_description_hash")),
                        Long(entry, "message_count")));
                }
            }
            var paths = Child(info, "relative_file_paths") is YamlSequenceNode relative
                ? relative.Children.Select(n => ((YamlScalarNode)n).Value ?? "").ToList()
                : new List<string>();
            var files = Child(info, "files") is YamlSequenceNode fileList
                ? fileList.Children.OfType<YamlMappingNode>().Select(f => new BagFileInformation(
                    Text(f, "path"),
                    Long(Child(f, "starting_time") as YamlMappingNode, "nanoseconds_since_epoch"),
                    Long(Child(f, "duration") as YamlMappingNode, "nanoseconds"),
                    Long(f, "message_count"))).ToList()
                : null;
            var custom = Child(info, "custom_data") is YamlMappingNode c
                ? c.Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value ?? "", p => (p.Value as YamlScalarNode)?.Value ?? "")
                : new Dictionary<string, string>();
            return new BagMetadata(
                (int)Long(info, "version"),
                Text(info, "storage_identifier"),
                paths,
                Long(Child(info, "starting_time") as YamlMappingNode, "nanoseconds_since_epoch"),
                Long(Child(info, "duration") as YamlMappingNode, "nanoseconds"),
                Long(info, "message_count"),
                topics,
                Text(info, "compression_format"),
                Text(info, "compression_mode"),
                Text(info, "ros_distro"),
                custom,
                files);
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException)
        {
            throw new BagFormatException(source, "malformed field: " + e.Message, e);
        }
    }

    /// <summary>Writes this metadata as version 9 to <paramref name="path"/>.</summary>
    public void Save(string path) => File.WriteAllText(path, ToYaml(embedded: false));

    /// <summary>
    /// This metadata as version 9 YAML: the metadata.yaml form, or with <paramref name="embedded"/> the
    /// form rosbag2 stores inside storage files (the same fields at the top level). Without
    /// <see cref="Files"/>, each relative path is listed with the whole bag's times and count.
    /// </summary>
    public string ToYaml(bool embedded)
    {
        var s = new StringBuilder();
        string i = embedded ? "" : "  ";
        if (!embedded)
        {
            s.Append("rosbag2_bagfile_information:\n");
        }
        s.Append(i).Append("version: 9\n");
        s.Append(i).Append("storage_identifier: ").Append(StorageIdentifier).Append('\n');
        s.Append(i).Append("duration:\n").Append(i).Append("  nanoseconds: ").Append(Number(Duration)).Append('\n');
        s.Append(i).Append("starting_time:\n").Append(i).Append("  nanoseconds_since_epoch: ").Append(Number(StartingTime)).Append('\n');
        s.Append(i).Append("message_count: ").Append(Number(MessageCount)).Append('\n');
        s.Append(i).Append("topics_with_message_count:");
        s.Append(Topics.Count == 0 ? " []\n" : "\n");
        foreach (var entry in Topics)
        {
            var t = entry.Topic;
            s.Append(i).Append("  - topic_metadata:\n");
            s.Append(i).Append("      name: ").Append(Quote(t.Name)).Append('\n');
            s.Append(i).Append("      type: ").Append(Quote(t.Type)).Append('\n');
            s.Append(i).Append("      serialization_format: ").Append(Quote(t.SerializationFormat)).Append('\n');
            s.Append(i).Append("      offered_qos_profiles:");
            if (string.IsNullOrWhiteSpace(t.OfferedQosProfiles))
            {
                s.Append(" []\n");
            }
            else
            {
                s.Append('\n');
                foreach (var line in t.OfferedQosProfiles.TrimEnd().Split('\n'))
                {
                    s.Append(i).Append("        ").Append(line).Append('\n');
                }
            }
            s.Append(i).Append("      type_description_hash: ").Append(Quote(t.TypeDescriptionHash)).Append('\n');
            s.Append(i).Append("    message_count: ").Append(Number(entry.MessageCount)).Append('\n');
        }
        s.Append(i).Append("compression_format: ").Append(Quote(CompressionFormat)).Append('\n');
        s.Append(i).Append("compression_mode: ").Append(Quote(CompressionMode)).Append('\n');
        s.Append(i).Append("relative_file_paths:");
        s.Append(RelativeFilePaths.Count == 0 ? " []\n" : "\n");
        foreach (var file in RelativeFilePaths)
        {
            s.Append(i).Append("  - ").Append(Quote(file)).Append('\n');
        }
        var files = Files ?? RelativeFilePaths.Select(p => new BagFileInformation(p, StartingTime, Duration, MessageCount)).ToList();
        s.Append(i).Append("files:");
        s.Append(files.Count == 0 ? " []\n" : "\n");
        foreach (var file in files)
        {
            s.Append(i).Append("  - path: ").Append(Quote(file.Path)).Append('\n');
            s.Append(i).Append("    starting_time:\n").Append(i).Append("      nanoseconds_since_epoch: ").Append(Number(file.StartingTime)).Append('\n');
            s.Append(i).Append("    duration:\n").Append(i).Append("      nanoseconds: ").Append(Number(file.Duration)).Append('\n');
            s.Append(i).Append("    message_count: ").Append(Number(file.MessageCount)).Append('\n');
        }
        s.Append(i).Append("custom_data:");
        if (CustomData is null || CustomData.Count == 0)
        {
            s.Append(" ~\n");
        }
        else
        {
            s.Append('\n');
            foreach (var (key, value) in CustomData)
            {
                s.Append(i).Append("  ").Append(Quote(key)).Append(": ").Append(Quote(value)).Append('\n');
            }
        }
        s.Append(i).Append("ros_distro: ").Append(Quote(RosDistro)).Append('\n');
        return s.ToString();
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static YamlNode? Child(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string Text(YamlMappingNode node, string key, string fallback = "") =>
        Child(node, key) is YamlScalarNode { Value: { } value } ? value : fallback;

    private static long Long(YamlMappingNode? node, string key)
    {
        string text = node is null ? "" : Text(node, key);
        return text.Length == 0 ? 0 : long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
    }

    // v4-v8 store the QoS list as YAML text inside a string; v9 as a real YAML list. Keep it as text.
    private static string QosText(YamlNode? node) => node switch
    {
        null => "",
        YamlScalarNode scalar => scalar.Value ?? "",
        YamlSequenceNode { Children.Count: 0 } => "",
        _ => new YamlDotNet.Serialization.SerializerBuilder().Build().Serialize(node.ToObject()!),
    };
}

internal static class YamlNodeExtensions
{
    /// <summary>Converts a node into plain lists, dictionaries and strings, for re-serialization.</summary>
    public static object? ToObject(this YamlNode node) => node switch
    {
        YamlScalarNode s => s.Value,
        YamlSequenceNode q => q.Children.Select(ToObject).ToList(),
        YamlMappingNode m => m.Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value ?? "", p => ToObject(p.Value)),
        _ => null,
    };
}
