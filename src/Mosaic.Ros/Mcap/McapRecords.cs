namespace Mosaic.Ros.Mcap;

/// <summary>MCAP record opcodes (MCAP specification, version 0).</summary>
public enum McapOpcode : byte
{
    /// <summary>Header: profile and library.</summary>
    Header = 0x01,
    /// <summary>Footer: where the summary starts.</summary>
    Footer = 0x02,
    /// <summary>Schema of a channel's messages.</summary>
    Schema = 0x03,
    /// <summary>A channel (topic).</summary>
    Channel = 0x04,
    /// <summary>One message.</summary>
    Message = 0x05,
    /// <summary>A block of (possibly compressed) records.</summary>
    Chunk = 0x06,
    /// <summary>Message offsets of one channel inside the preceding chunk.</summary>
    MessageIndex = 0x07,
    /// <summary>Where a chunk is and what it holds.</summary>
    ChunkIndex = 0x08,
    /// <summary>An attached file.</summary>
    Attachment = 0x09,
    /// <summary>Where an attachment is.</summary>
    AttachmentIndex = 0x0A,
    /// <summary>Counts and time range of the file.</summary>
    Statistics = 0x0B,
    /// <summary>Name/value metadata.</summary>
    Metadata = 0x0C,
    /// <summary>Where a metadata record is.</summary>
    MetadataIndex = 0x0D,
    /// <summary>Where a group of summary records is.</summary>
    SummaryOffset = 0x0E,
    /// <summary>End of the data section, with its CRC.</summary>
    DataEnd = 0x0F,
}

/// <summary>A schema record: how a channel's messages are encoded (rosbag2: <c>ros2msg</c> text).</summary>
public sealed record McapSchema(ushort Id, string Name, string Encoding, byte[] Data);

/// <summary>A channel record: one topic with its message encoding and metadata.</summary>
public sealed record McapChannel(ushort Id, ushort SchemaId, string Topic, string MessageEncoding, IReadOnlyDictionary<string, string> Metadata);

/// <summary>One message. <see cref="LogTime"/> is the time it was recorded (nanoseconds).</summary>
public sealed record McapMessage(ushort ChannelId, uint Sequence, ulong LogTime, ulong PublishTime, ReadOnlyMemory<byte> Data);

/// <summary>A chunk index record from the summary.</summary>
public sealed record McapChunkIndex(
    ulong MessageStartTime, ulong MessageEndTime, ulong ChunkStartOffset, ulong ChunkLength,
    IReadOnlyDictionary<ushort, ulong> MessageIndexOffsets, ulong MessageIndexLength,
    string Compression, ulong CompressedSize, ulong UncompressedSize);

/// <summary>The statistics record.</summary>
public sealed record McapStatistics(
    ulong MessageCount, ushort SchemaCount, uint ChannelCount, uint AttachmentCount, uint MetadataCount,
    uint ChunkCount, ulong MessageStartTime, ulong MessageEndTime, IReadOnlyDictionary<ushort, ulong> ChannelMessageCounts);

/// <summary>An attachment record.</summary>
public sealed record McapAttachment(ulong LogTime, ulong CreateTime, string Name, string MediaType, byte[] Data);

/// <summary>A metadata record.</summary>
public sealed record McapMetadata(string Name, IReadOnlyDictionary<string, string> Values);

/// <summary>How many messages one channel has and when the first and last were logged (nanoseconds).</summary>
public sealed record McapChannelCount(ulong MessageCount, ulong FirstLogTime, ulong LastLogTime)
{
    /// <summary>This count with one more message at <paramref name="logTime"/>.</summary>
    public McapChannelCount Add(ulong logTime) =>
        new(MessageCount + 1, Math.Min(FirstLogTime, logTime), Math.Max(LastLogTime, logTime));

    /// <summary>Adds a message at <paramref name="logTime"/> on <paramref name="channel"/> to <paramref name="counts"/>.</summary>
    internal static void Add(Dictionary<ushort, McapChannelCount> counts, ushort channel, ulong logTime) =>
        counts[channel] = counts.TryGetValue(channel, out var c) ? c.Add(logTime) : new McapChannelCount(1, logTime, logTime);
}
