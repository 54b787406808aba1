namespace Mosaic.Ros.Bags;

/// <summary>A topic as a bag records it.</summary>
/// <param name="Name">Topic name, e.g. <c>/camera/color/image_raw/compressed</c>.</param>
/// <param name="Type">Message type, e.g. <c>sensor_msgs/msg/CompressedImage</c> (older bags: <c>pkg/Type</c>).</param>
/// <param name="SerializationFormat">"cdr" for ROS 2 bags; anything else cannot be decoded here.</param>
/// <param name="OfferedQosProfiles">The publishers' QoS as YAML text (empty when not recorded).</param>
/// <param name="TypeDescriptionHash">RIHS01 type hash (Jazzy and later), or empty.</param>
public sealed record BagTopic(string Name, string Type, string SerializationFormat = "cdr", string OfferedQosProfiles = "", string TypeDescriptionHash = "");

/// <summary>One recorded message: <see cref="Timestamp"/> is the receive time in nanoseconds, <see cref="Data"/> the serialized bytes.</summary>
public readonly record struct BagMessage(BagTopic Topic, long Timestamp, ReadOnlyMemory<byte> Data);

/// <summary>A message type's definition as stored in a bag (MCAP schema or sqlite3 message_definitions).</summary>
public sealed record BagMessageDefinition(string Type, string Encoding, string Text);

/// <summary>Per-topic message count and time range of one storage file.</summary>
public sealed record BagTopicStatistics(long MessageCount, long StartTime, long EndTime);

/// <summary>One storage file of a bag (sqlite3 or MCAP), behind one interface.</summary>
internal interface IBagStorage : IDisposable
{
    string FilePath { get; }

    string StorageIdentifier { get; }

    IReadOnlyList<BagTopic> Topics { get; }

    IReadOnlyList<BagMessageDefinition> Definitions { get; }

    IReadOnlyList<string> Warnings { get; }

    /// <summary>The bag metadata rosbag2 stores inside the file (MCAP record <c>rosbag2</c>, sqlite3 table <c>metadata</c>), if any.</summary>
    BagMetadata? EmbeddedMetadata { get; }

    /// <summary>Counts and time ranges per topic name; may read the whole file when no index says it.</summary>
    IReadOnlyDictionary<string, BagTopicStatistics> Statistics();

    /// <summary>Messages in timestamp order, restricted to <paramref name="topics"/> (null = all) and [start, end].</summary>
    IEnumerable<BagMessage> Read(IReadOnlySet<string>? topics, long start, long end);
}
