using System.Globalization;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace Mosaic.Ros.Bags;

/// <summary>One topic entry of metadata.yaml.</summary>
public sealed record BagMetadataTopic(BagTopic Topic, long MessageCount);

/// <summary>
/// A bag's <c>metadata.yaml</c> (<c>rosbag2_bagfile_information</c>), versions 1 to 9. Reading accepts
/// every version's field names (v1 <c>topic_and_type</c>, QoS as YAML text or list); writing produces v9.
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
    IReadOnlyDictionary<string, string>? CustomData = null)
{
    /// <summary>The file name rosbag2 uses.</summary>
    public const string FileName = "metadata.yaml";

    /// <summary>Reads and validates <paramref name="path"/>.</summary>
    public static BagMetadata Load(string path)
    {
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            using var text = File.OpenText(path);
            stream.Load(text);
            root = stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode m
                ? m : throw new BagFormatException(path, "empty or not a YAML mapping");
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new BagFormatException(path, $"invalid YAML at line {e.Start.Line}: {e.Message}", e);
        }
        if (Child(root, "rosbag2_bagfile_information") is not YamlMappingNode info)
        {
            throw new BagFormatException(path, "missing 'rosbag2_bagfile_information'");
        }
        try
        {
            var topics = new List<BagMetadataTopic>();
            if (Child(info, "topics_with_message_count") is YamlSequenceNode list)
            {
                foreach (var entry in list.Children.OfType<YamlMappingNode>())
                {
                    var topic = (Child(entry, "topic_metadata") ?? Child(entry, "topic_and_type")) as YamlMappingNode
                        ?? throw new BagFormatException(path, "a topics_with_message_count entry has no topic_metadata");
                    topics.Add(new BagMetadataTopic(
                        new BagTopic(Text(topic, "name"), Text(topic, "type"), Text(topic, "serialization_format", "cdr"),
                            QosText(Child(topic, "offered_qos_profiles")), Text(topic, "type_description_hash")),
                        Long(entry, "message_count")));
                }
            }
            var files = Child(info, "relative_file_paths") is YamlSequenceNode paths
                ? paths.Children.Select(n => ((YamlScalarNode)n).Value ?? "").ToList()
                : new List<string>();
            var custom = Child(info, "custom_data") is YamlMappingNode c
                ? c.Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value ?? "", p => (p.Value as YamlScalarNode)?.Value ?? "")
                : new Dictionary<string, string>();
            return new BagMetadata(
                (int)Long(info, "version"),
                Text(info, "storage_identifier"),
                files,
                Long(Child(info, "starting_time") as YamlMappingNode, "nanoseconds_since_epoch"),
                Long(Child(info, "duration") as YamlMappingNode, "nanoseconds"),
                Long(info, "message_count"),
                topics,
                Text(info, "compression_format"),
                Text(info, "compression_mode"),
                Text(info, "ros_distro"),
                custom);
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException)
        {
            throw new BagFormatException(path, "malformed field: " + e.Message, e);
        }
    }

    /// <summary>Writes this metadata as version 9 to <paramref name="path"/>.</summary>
    public void Save(string path)
    {
        var s = new StringBuilder();
        s.Append("rosbag2_bagfile_information:\n");
        s.Append("  version: 9\n");
        s.Append("  storage_identifier: ").Append(StorageIdentifier).Append('\n');
        s.Append("  duration:\n    nanoseconds: ").Append(Duration.ToString(CultureInfo.InvariantCulture)).Append('\n');
        s.Append("  starting_time:\n    nanoseconds_since_epoch: ").Append(StartingTime.ToString(CultureInfo.InvariantCulture)).Append('\n');
        s.Append("  message_count: ").Append(MessageCount.ToString(CultureInfo.InvariantCulture)).Append('\n');
        s.Append("  topics_with_message_count:\n");
        foreach (var entry in Topics)
        {
            var t = entry.Topic;
            s.Append("    - topic_metadata:\n");
            s.Append("        name: ").Append(Quote(t.Name)).Append('\n');
            s.Append("        type: ").Append(Quote(t.Type)).Append('\n');
            s.Append("        serialization_format: ").Append(Quote(t.SerializationFormat)).Append('\n');
            s.Append("        offered_qos_profiles:");
            if (string.IsNullOrWhiteSpace(t.OfferedQosProfiles))
            {
                s.Append(" []\n");
            }
            else
            {
                s.Append('\n');
                foreach (var line in t.OfferedQosProfiles.TrimEnd().Split('\n'))
                {
                    s.Append("          ").Append(line).Append('\n');
                }
            }
            s.Append("        type_description_hash: ").Append(Quote(t.TypeDescriptionHash)).Append('\n');
            s.Append("      message_count: ").Append(entry.MessageCount.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        s.Append("  compression_format: ").Append(Quote(CompressionFormat)).Append('\n');
        s.Append("  compression_mode: ").Append(Quote(CompressionMode)).Append('\n');
        s.Append("  relative_file_paths:\n");
        foreach (var file in RelativeFilePaths)
        {
            s.Append("    - ").Append(Quote(file)).Append('\n');
        }
        s.Append("  files:\n");
        foreach (var file in RelativeFilePaths)
        {
            s.Append("    - path: ").Append(Quote(file)).Append('\n');
            s.Append("      starting_time:\n        nanoseconds_since_epoch: ").Append(StartingTime.ToString(CultureInfo.InvariantCulture)).Append('\n');
            s.Append("      duration:\n        nanoseconds: ").Append(Duration.ToString(CultureInfo.InvariantCulture)).Append('\n');
            s.Append("      message_count: ").Append(MessageCount.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        s.Append("  custom_data:");
        if (CustomData is null || CustomData.Count == 0)
        {
            s.Append(" ~\n");
        }
        else
        {
            s.Append('\n');
            foreach (var (key, value) in CustomData)
            {
                s.Append("    ").Append(Quote(key)).Append(": ").Append(Quote(value)).Append('\n');
            }
        }
        s.Append("  ros_distro: ").Append(Quote(RosDistro)).Append('\n');
        File.WriteAllText(path, s.ToString());
    }

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
