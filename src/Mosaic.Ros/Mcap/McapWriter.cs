using System.Buffers.Binary;
using System.Text;
using Mosaic.Ros.Compression;

namespace Mosaic.Ros.Mcap;

/// <summary>What <see cref="McapWriter"/> writes besides the messages. The defaults are what rosbag2 writes.</summary>
public sealed record McapWriterOptions
{
    /// <summary>Header profile ("ros2" for rosbag2).</summary>
    public string Profile { get; init; } = "ros2";

    /// <summary>Header library string.</summary>
    public string Library { get; init; } = "mosaic";

    /// <summary>Group records into chunks.</summary>
    public bool UseChunks { get; init; } = true;

    /// <summary>Chunk compression: "zstd", "lz4" or "" (none).</summary>
    public string Compression { get; init; } = "zstd";

    /// <summary>A chunk is closed once its uncompressed records reach this many bytes.</summary>
    public int ChunkSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>zstd level for chunks.</summary>
    public int ZstdLevel { get; init; } = 3;

    /// <summary>Write a message index record per channel after each chunk.</summary>
    public bool MessageIndexes { get; init; } = true;

    /// <summary>Write chunk index records in the summary.</summary>
    public bool ChunkIndexes { get; init; } = true;

    /// <summary>Write a statistics record in the summary.</summary>
    public bool Statistics { get; init; } = true;

    /// <summary>Repeat all schemas in the summary.</summary>
    public bool RepeatSchemas { get; init; } = true;

    /// <summary>Repeat all channels in the summary.</summary>
    public bool RepeatChannels { get; init; } = true;

    /// <summary>Write attachment index records in the summary.</summary>
    public bool AttachmentIndexes { get; init; } = true;

    /// <summary>Write metadata index records in the summary.</summary>
    public bool MetadataIndexes { get; init; } = true;

    /// <summary>Write summary offset records after the summary.</summary>
    public bool SummaryOffsets { get; init; } = true;
}

/// <summary>
/// Writes an MCAP file: header, schemas, channels and messages (chunked and compressed or not),
/// attachments, metadata, then data end, the summary (schemas, channels, statistics, chunk/attachment/
/// metadata indexes, each group optional), summary offsets and the footer, with all CRCs.
/// </summary>
public sealed class McapWriter : IDisposable
{
    private const int RecordPrefix = 9;
    private readonly Stream _output;
    private readonly McapWriterOptions _options;
    private readonly List<McapSchema> _schemas = new();
    private readonly List<McapChannel> _channels = new();
    private readonly List<McapChunkIndex> _chunkIndexes = new();
    private readonly List<byte[]> _attachmentIndexes = new();
    private readonly List<byte[]> _metadataIndexes = new();
    private readonly Dictionary<ushort, ulong> _channelMessageCounts = new();
    private readonly MemoryStream _chunk = new();
    private readonly Dictionary<ushort, List<(ulong LogTime, ulong Offset)>> _chunkMessageIndex = new();
    private ulong _chunkStart = ulong.MaxValue, _chunkEnd;
    private bool _chunkHasMessages;
    private long _position;
    private uint _dataCrc;
    private ulong _messageCount, _messageStart = ulong.MaxValue, _messageEnd;
    private uint _attachmentCount, _metadataCount;
    private bool _finished;

    /// <summary>Starts a file on <paramref name="output"/> (which it owns and closes).</summary>
    public McapWriter(Stream output, McapWriterOptions? options = null)
    {
        _output = output;
        _options = options ?? new McapWriterOptions();
        if (_options.Compression is not ("" or "zstd" or "lz4"))
        {
            throw new ArgumentException($"unsupported chunk compression '{_options.Compression}' (use zstd, lz4 or \"\")");
        }
        WriteData(McapReader.Magic);
        var header = new RecordBuilder();
        header.String(_options.Profile).String(_options.Library);
        WriteData(header.Build(McapOpcode.Header));
    }

    /// <summary>Creates <paramref name="path"/> and starts a file there.</summary>
    public static McapWriter Create(string path, McapWriterOptions? options = null) =>
        new(new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16), options);

    /// <summary>Bytes written to the output so far; the open chunk counts once it is closed and compressed.</summary>
    public long Length => _position;

    /// <summary>Registers a schema and returns its id (1, 2, ...).</summary>
    public ushort AddSchema(string name, string encoding, ReadOnlySpan<byte> data)
    {
        var schema = new McapSchema((ushort)(_schemas.Count + 1), name, encoding, data.ToArray());
        _schemas.Add(schema);
        WriteRecordInData(SchemaRecord(schema));
        return schema.Id;
    }

    /// <summary>Registers a channel and returns its id (starting at 1, as rosbag2 numbers them).</summary>
    public ushort AddChannel(ushort schemaId, string topic, string messageEncoding, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var channel = new McapChannel((ushort)(_channels.Count + 1), schemaId, topic, messageEncoding,
            metadata ?? new Dictionary<string, string>());
        _channels.Add(channel);
        WriteRecordInData(ChannelRecord(channel));
        return channel.Id;
    }

    /// <summary>Writes one message. <paramref name="logTime"/> is the recording time in nanoseconds.</summary>
    public void WriteMessage(ushort channelId, uint sequence, ulong logTime, ulong publishTime, ReadOnlySpan<byte> data)
    {
        if (channelId == 0 || channelId > _channels.Count)
        {
            throw new ArgumentException($"unknown channel id {channelId}");
        }
        var record = new RecordBuilder();
        record.U16(channelId).U32(sequence).U64(logTime).U64(publishTime).Raw(data);
        byte[] bytes = record.Build(McapOpcode.Message);
        _messageCount++;
        _messageStart = Math.Min(_messageStart, logTime);
        _messageEnd = Math.Max(_messageEnd, logTime);
        _channelMessageCounts[channelId] = _channelMessageCounts.GetValueOrDefault(channelId) + 1;
        if (_options.UseChunks)
        {
            if (!_chunkMessageIndex.TryGetValue(channelId, out var entries))
            {
                _chunkMessageIndex[channelId] = entries = new List<(ulong, ulong)>();
            }
            entries.Add((logTime, (ulong)_chunk.Length));
            _chunkStart = Math.Min(_chunkStart, logTime);
            _chunkEnd = Math.Max(_chunkEnd, logTime);
            _chunkHasMessages = true;
            _chunk.Write(bytes);
            if (_chunk.Length >= _options.ChunkSize)
            {
                FlushChunk();
            }
        }
        else
        {
            WriteData(bytes);
        }
    }

    /// <summary>Writes an attachment (outside chunks, as the specification requires).</summary>
    public void AddAttachment(ulong logTime, ulong createTime, string name, string mediaType, ReadOnlySpan<byte> data)
    {
        FlushChunk();
        var record = new RecordBuilder();
        record.U64(logTime).U64(createTime).String(name).String(mediaType).U64((ulong)data.Length).Raw(data);
        uint crc = Crc32.Compute(record.Body);
        record.U32(crc);
        long offset = _position;
        byte[] bytes = record.Build(McapOpcode.Attachment);
        WriteData(bytes);
        _attachmentCount++;
        var index = new RecordBuilder();
        index.U64((ulong)offset).U64((ulong)bytes.Length).U64(logTime).U64(createTime).U64((ulong)data.Length).String(name).String(mediaType);
        _attachmentIndexes.Add(index.Build(McapOpcode.AttachmentIndex));
    }

    /// <summary>Writes a metadata record.</summary>
    public void AddMetadata(string name, IReadOnlyDictionary<string, string> values)
    {
        FlushChunk();
        var record = new RecordBuilder();
        record.String(name).StringMap(values);
        long offset = _position;
        byte[] bytes = record.Build(McapOpcode.Metadata);
        WriteData(bytes);
        _metadataCount++;
        var index = new RecordBuilder();
        index.U64((ulong)offset).U64((ulong)bytes.Length).String(name);
        _metadataIndexes.Add(index.Build(McapOpcode.MetadataIndex));
    }

    /// <summary>Closes the last chunk and writes data end, summary, footer and the closing magic.</summary>
    public void Finish()
    {
        if (_finished)
        {
            return;
        }
        FlushChunk();
        var dataEnd = new RecordBuilder();
        dataEnd.U32(_dataCrc);
        Write(dataEnd.Build(McapOpcode.DataEnd));

        long summaryStart = _position;
        uint summaryCrc = 0;
        var offsets = new List<byte[]>();
        void Group(McapOpcode opcode, IEnumerable<byte[]> records)
        {
            long start = _position;
            foreach (var record in records)
            {
                summaryCrc = Crc32.Append(summaryCrc, record);
                Write(record);
            }
            if (_position > start)
            {
                var offset = new RecordBuilder();
                offset.U8((byte)opcode).U64((ulong)start).U64((ulong)(_position - start));
                offsets.Add(offset.Build(McapOpcode.SummaryOffset));
            }
        }
        if (_options.RepeatSchemas) Group(McapOpcode.Schema, _schemas.Select(SchemaRecord));
        if (_options.RepeatChannels) Group(McapOpcode.Channel, _channels.Select(ChannelRecord));
        if (_options.Statistics) Group(McapOpcode.Statistics, [StatisticsRecord()]);
        if (_options.ChunkIndexes) Group(McapOpcode.ChunkIndex, _chunkIndexes.Select(ChunkIndexRecord));
        if (_options.AttachmentIndexes) Group(McapOpcode.AttachmentIndex, _attachmentIndexes);
        if (_options.MetadataIndexes) Group(McapOpcode.MetadataIndex, _metadataIndexes);
        bool hasSummary = _position > summaryStart;
        long summaryOffsetStart = 0;
        if (hasSummary && _options.SummaryOffsets)
        {
            summaryOffsetStart = _position;
            foreach (var offset in offsets)
            {
                summaryCrc = Crc32.Append(summaryCrc, offset);
                Write(offset);
            }
        }
        var footer = new RecordBuilder();
        footer.U64(hasSummary ? (ulong)summaryStart : 0).U64((ulong)summaryOffsetStart).U32(0);
        byte[] footerBytes = footer.Build(McapOpcode.Footer);
        // The summary CRC covers the summary, the offsets and the footer up to the CRC field itself.
        summaryCrc = Crc32.Append(summaryCrc, footerBytes.AsSpan(0, footerBytes.Length - 4));
        BinaryPrimitives.WriteUInt32LittleEndian(footerBytes.AsSpan(footerBytes.Length - 4), summaryCrc);
        Write(footerBytes);
        Write(McapReader.Magic);
        _output.Flush();
        _finished = true;
    }

    /// <summary>Finishes the file (if not yet) and closes the stream.</summary>
    public void Dispose()
    {
        try
        {
            Finish();
        }
        finally
        {
            _output.Dispose();
        }
    }

    private void WriteRecordInData(byte[] record)
    {
        if (_options.UseChunks)
        {
            _chunk.Write(record);
        }
        else
        {
            WriteData(record);
        }
    }

    private void FlushChunk()
    {
        if (_chunk.Length == 0)
        {
            return;
        }
        byte[] records = _chunk.ToArray();
        _chunk.SetLength(0);
        byte[] compressed = _options.Compression switch
        {
            "zstd" => Zstd.Compress(records, _options.ZstdLevel),
            "lz4" => Lz4Frame.Compress(records),
            _ => records,
        };
        ulong start = _chunkHasMessages ? _chunkStart : 0;
        ulong end = _chunkHasMessages ? _chunkEnd : 0;
        var chunk = new RecordBuilder();
        chunk.U64(start).U64(end).U64((ulong)records.Length).U32(Crc32.Compute(records)).String(_options.Compression)
            .U64((ulong)compressed.Length).Raw(compressed);
        long chunkOffset = _position;
        byte[] chunkBytes = chunk.Build(McapOpcode.Chunk);
        WriteData(chunkBytes);

        long indexStart = _position;
        var indexOffsets = new Dictionary<ushort, ulong>();
        if (_options.MessageIndexes)
        {
            foreach (var (channelId, entries) in _chunkMessageIndex)
            {
                indexOffsets[channelId] = (ulong)_position;
                var index = new RecordBuilder();
                index.U16(channelId).U32((uint)(entries.Count * 16));
                foreach (var (logTime, offset) in entries)
                {
                    index.U64(logTime).U64(offset);
                }
                WriteData(index.Build(McapOpcode.MessageIndex));
            }
        }
        _chunkIndexes.Add(new McapChunkIndex(start, end, (ulong)chunkOffset, (ulong)chunkBytes.Length, indexOffsets,
            (ulong)(_position - indexStart), _options.Compression, (ulong)compressed.Length, (ulong)records.Length));
        _chunkMessageIndex.Clear();
        _chunkStart = ulong.MaxValue;
        _chunkEnd = 0;
        _chunkHasMessages = false;
    }

    private static byte[] SchemaRecord(McapSchema schema)
    {
        var record = new RecordBuilder();
        record.U16(schema.Id).String(schema.Name).String(schema.Encoding).U32((uint)schema.Data.Length).Raw(schema.Data);
        return record.Build(McapOpcode.Schema);
    }

    private static byte[] ChannelRecord(McapChannel channel)
    {
        var record = new RecordBuilder();
        record.U16(channel.Id).U16(channel.SchemaId).String(channel.Topic).String(channel.MessageEncoding).StringMap(channel.Metadata);
        return record.Build(McapOpcode.Channel);
    }

    private byte[] StatisticsRecord()
    {
        var record = new RecordBuilder();
        record.U64(_messageCount).U16((ushort)_schemas.Count).U32((uint)_channels.Count).U32(_attachmentCount).U32(_metadataCount)
            .U32((uint)_chunkIndexes.Count).U64(_messageCount > 0 ? _messageStart : 0).U64(_messageEnd);
        var counts = new RecordBuilder();
        foreach (var (channelId, count) in _channelMessageCounts)
        {
            counts.U16(channelId).U64(count);
        }
        record.U32((uint)counts.Body.Length).Raw(counts.Body);
        return record.Build(McapOpcode.Statistics);
    }

    private static byte[] ChunkIndexRecord(McapChunkIndex index)
    {
        var record = new RecordBuilder();
        record.U64(index.MessageStartTime).U64(index.MessageEndTime).U64(index.ChunkStartOffset).U64(index.ChunkLength);
        var offsets = new RecordBuilder();
        foreach (var (channelId, offset) in index.MessageIndexOffsets)
        {
            offsets.U16(channelId).U64(offset);
        }
        record.U32((uint)offsets.Body.Length).Raw(offsets.Body)
            .U64(index.MessageIndexLength).String(index.Compression).U64(index.CompressedSize).U64(index.UncompressedSize);
        return record.Build(McapOpcode.ChunkIndex);
    }

    private void WriteData(ReadOnlySpan<byte> bytes)
    {
        _dataCrc = Crc32.Append(_dataCrc, bytes);
        Write(bytes);
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _output.Write(bytes);
        _position += bytes.Length;
    }

    /// <summary>Accumulates one record body in MCAP's little-endian field encoding.</summary>
    private sealed class RecordBuilder
    {
        private readonly MemoryStream _body = new();

        public ReadOnlySpan<byte> Body => _body.GetBuffer().AsSpan(0, (int)_body.Length);

        public RecordBuilder U8(byte value)
        {
            _body.WriteByte(value);
            return this;
        }

        public RecordBuilder U16(ushort value)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(b, value);
            return Raw(b);
        }

        public RecordBuilder U32(uint value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            return Raw(b);
        }

        public RecordBuilder U64(ulong value)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(b, value);
            return Raw(b);
        }

        public RecordBuilder String(string value)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(value);
            return U32((uint)bytes.Length).Raw(bytes);
        }

        public RecordBuilder StringMap(IReadOnlyDictionary<string, string> map)
        {
            var inner = new RecordBuilder();
            foreach (var (key, value) in map)
            {
                inner.String(key).String(value);
            }
            return U32((uint)inner.Body.Length).Raw(inner.Body);
        }

        public RecordBuilder Raw(ReadOnlySpan<byte> bytes)
        {
            _body.Write(bytes);
            return this;
        }

        public byte[] Build(McapOpcode opcode)
        {
            var record = new byte[RecordPrefix + _body.Length];
            record[0] = (byte)opcode;
            BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(1), (ulong)_body.Length);
            Body.CopyTo(record.AsSpan(RecordPrefix));
            return record;
        }
    }
}
