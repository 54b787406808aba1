using Mosaic.Ros.Messages;

namespace Mosaic.Ros.Bags;

/// <summary>What <see cref="BagConverter.Convert"/> copies and how it writes the copy.</summary>
public sealed record BagConvertOptions
{
    /// <summary>Which topics and time range to copy (default: everything).</summary>
    public BagReadOptions Read { get; init; } = new();

    /// <summary>Storage, compression and splitting of the copy.</summary>
    public Rosbag2WriterOptions Write { get; init; } = new();
}

/// <summary>What a conversion wrote.</summary>
/// <param name="Messages">Messages copied.</param>
/// <param name="Files">Storage files written.</param>
/// <param name="Bytes">Their total size.</param>
public sealed record BagConvertResult(long Messages, int Files, long Bytes);

/// <summary>
/// Copies a bag into a new one (like <c>ros2 bag convert</c>): another storage, compression or split,
/// a subset of topics or a time range. Message bytes, receive times, topic metadata (QoS, type hash)
/// and stored definitions are kept; MESSAGE-compressed input is written decompressed.
/// </summary>
public static class BagConverter
{
    /// <summary>Writes the messages <paramref name="options"/> selects from <paramref name="source"/> into the new bag directory <paramref name="output"/>.</summary>
    /// <exception cref="IOException"><paramref name="output"/> exists, or a file cannot be read or written.</exception>
    /// <exception cref="ArgumentException">The write options are invalid.</exception>
    public static BagConvertResult Convert(Rosbag2Reader source, string output, BagConvertOptions options, IProgress<double>? progress = null)
    {
        var topics = source.Topics.Where(t => options.Read.Topics is null || options.Read.Topics.Contains(t.Name)).ToList();
        var statistics = source.Statistics();
        long total = topics.Sum(t => statistics.TryGetValue(t.Name, out var s) ? s.MessageCount : 0);
        long copied = 0;
        List<string> files;
        using (var writer = Rosbag2Writer.Create(output, options.Write))
        {
            foreach (var topic in topics)
            {
                writer.AddTopic(topic, DefinitionOf(source, topic.Type));
            }
            foreach (var message in source.ReadMessages(options.Read))
            {
                writer.Write(message.Topic.Name, message.Timestamp, message.Data.Span);
                if (++copied % 1000 == 0)
                {
                    progress?.Report(total > 0 ? Math.Min(1.0, (double)copied / total) : 0);
                }
            }
            files = writer.FilePaths.ToList();
        }
        progress?.Report(1);
        return new BagConvertResult(copied, files.Count, files.Sum(f => new FileInfo(f).Length));
    }

    // The definition the source stored; else Mosaic's own for the types it knows; else rosbag2's
    // marker for a definition it could not find (encoding "unknown", no text).
    private static BagMessageDefinition DefinitionOf(Rosbag2Reader source, string type) =>
        source.Definitions.FirstOrDefault(d => d.Type == type && d.Text.Length > 0)
        ?? (MessageRegistry.FindDefinition(type) is { } known
            ? new BagMessageDefinition(type, "ros2msg", known.FullText())
            : new BagMessageDefinition(type, "unknown", ""));
}
