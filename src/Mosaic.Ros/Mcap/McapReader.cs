using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Mosaic.Ros.Compression;

namespace Mosaic.Ros.Mcap;

/// <summary>Which messages <see cref="McapReader.ReadMessages"/> returns. Times are log times in nanoseconds, inclusive.</summary>
public sealed record McapReadFilter(IReadOnlySet<ushort>? ChannelIds = null, ulong StartTime = 0, ulong EndTime = ulong.MaxValue);

/// <summary>
/// Reads an MCAP file: schemas, channels and messages in log-time order. Uses the summary section
/// (chunk indexes) when it is present and intact; otherwise scans the data section record by record
/// and says so in <see cref="Warnings"/>. Chunks may be uncompressed, zstd or lz4. Metadata records
/// are read; attachments are skipped.
/// </summary>
public sealed class McapReader : IDisposable
{
    /// <summary>The 8 magic bytes at both ends of an MCAP file.</summary>
    public static ReadOnlySpan<byte> Magic => [0x89, (byte)'M', (byte)'C', (byte)'A', (byte)'P', (byte)'0', (byte)'\r', (byte)'\n'];

    private const int RecordPrefix = 9;
    private const int FooterRecordLength = RecordPrefix + 20;

    private readonly SafeFileHandle _file;
    private readonly long _length;
    private readonly Dictionary<ushort, McapSchema> _schemas = new();
    private readonly Dictionary<ushort, McapChannel> _channels = new();
    private readonly List<ChunkRef> _chunks = new();
    private readonly List<LooseMessage> _looseMessages = new();
    private readonly List<McapMetadata> _metadata = new();
    private readonly List<string> _warnings = new();

    private McapReader(string path)
    {
        FilePath = path;
        _file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        _length = RandomAccess.GetLength(_file);
    }

    /// <summary>The file's path.</summary>
    public string FilePath { get; }

    /// <summary>The header's profile ("ros2" for rosbag2).</summary>
    public string Profile { get; private set; } = "";

    /// <summary>The header's library string.</summary>
    public string Library { get; private set; } = "";

    /// <summary>Schemas by id.</summary>
    public IReadOnlyDictionary<ushort, McapSchema> Schemas => _schemas;

    /// <summary>Channels by id.</summary>
    public IReadOnlyDictionary<ushort, McapChannel> Channels => _channels;

    /// <summary>Metadata records in file order (rosbag2 writes one named <c>rosbag2</c>).</summary>
    public IReadOnlyList<McapMetadata> Metadata => _metadata;

    /// <summary>The statistics record, when the summary has one.</summary>
    public McapStatistics? Statistics { get; private set; }

    /// <summary>Whether the summary section was present, intact and used.</summary>
    public bool UsedSummary { get; private set; }

    /// <summary>Problems met while opening (missing or damaged summary, truncated records) that did not stop reading.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Opens <paramref name="path"/> and indexes it. Throws <see cref="McapFormatException"/> when it is not a readable MCAP file.</summary>
    public static McapReader Open(string path)
    {
        var reader = new McapReader(path);
        try
        {
            reader.Index();
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Messages in log-time order (ties in file order), filtered by <paramref name="filter"/>.
    /// Chunks are decompressed one at a time as the time order reaches them.
    /// </summary>
    public IEnumerable<McapMessage> ReadMessages(McapReadFilter? filter = null)
    {
        filter ??= new McapReadFilter();
        var chunks = _chunks
            .Where(c => c.End >= filter.StartTime && c.Start <= filter.EndTime)
            .Where(c => filter.ChannelIds is null || c.ChannelIds is null || c.ChannelIds.Overlaps(filter.ChannelIds))
            .OrderBy(c => c.Start).ThenBy(c => c.Offset).ToList();
        var loose = _looseMessages.Where(m => Accepts(filter, m.ChannelId, m.LogTime)).ToList();
        var pending = new PriorityQueue<McapMessage, (ulong Time, long Order)>();
        long order = 0;
        int nextChunk = 0, nextLoose = 0;
        while (true)
        {
            ulong pendingTime = pending.TryPeek(out _, out var head) ? head.Time : ulong.MaxValue;
            ulong looseTime = nextLoose < loose.Count ? loose[nextLoose].LogTime : ulong.MaxValue;
            bool chunkLeft = nextChunk < chunks.Count;
            if (chunkLeft && chunks[nextChunk].Start <= pendingTime && chunks[nextChunk].Start <= looseTime)
            {
                foreach (var message in ReadChunkMessages(chunks[nextChunk]))
                {
                    if (Accepts(filter, message.ChannelId, message.LogTime))
                    {
                        pending.Enqueue(message, (message.LogTime, order++));
                    }
                }
                nextChunk++;
                continue;
            }
            if (pending.Count == 0 && nextLoose >= loose.Count)
            {
                if (!chunkLeft)
                {
                    yield break;
                }
                continue;
            }
            if (nextLoose < loose.Count && looseTime < pendingTime)
            {
                yield return ReadLooseMessage(loose[nextLoose++]);
            }
            else
            {
                yield return pending.Dequeue();
            }
        }
    }

    /// <summary>
    /// Message count and log-time range per channel, from the message index records after each chunk
    /// where the file has them (nothing is decompressed), else by reading the chunk.
    /// </summary>
    public IReadOnlyDictionary<ushort, McapChannelCount> CountMessages()
    {
        var counts = new Dictionary<ushort, McapChannelCount>();
        foreach (var loose in _looseMessages)
        {
            McapChannelCount.Add(counts, loose.ChannelId, loose.LogTime);
        }
        foreach (var chunk in _chunks)
        {
            if (chunk.Counts is null && !TryCountFromMessageIndexes(chunk))
            {
                chunk.Counts = new Dictionary<ushort, McapChannelCount>();
                foreach (var message in ReadChunkMessages(chunk))
                {
                    McapChannelCount.Add(chunk.Counts, message.ChannelId, message.LogTime);
                }
            }
            foreach (var (channel, c) in chunk.Counts ?? [])
            {
                counts[channel] = counts.TryGetValue(channel, out var total)
                    ? new McapChannelCount(total.MessageCount + c.MessageCount, Math.Min(total.FirstLogTime, c.FirstLogTime), Math.Max(total.LastLogTime, c.LastLogTime))
                    : c;
            }
        }
        return counts;
    }

    // A message index record: channel id, then (log time, offset) pairs of 16 bytes.
    private bool TryCountFromMessageIndexes(ChunkRef chunk)
    {
        if (chunk.MessageIndexLength <= 0)
        {
            return false;
        }
        var found = new Dictionary<ushort, McapChannelCount>();
        try
        {
            var indexes = ReadBytes(chunk.MessageIndexStart, checked((int)chunk.MessageIndexLength));
            int position = 0;
            while (position < indexes.Length)
            {
                if (indexes.Length - position < RecordPrefix || indexes[position] != (byte)McapOpcode.MessageIndex)
                {
                    throw new FormatException($"no message index record at byte {chunk.MessageIndexStart + position}");
                }
                ulong length = BinaryPrimitives.ReadUInt64LittleEndian(indexes.AsSpan(position + 1));
                if (length > (ulong)(indexes.Length - position - RecordPrefix))
                {
                    throw new FormatException($"message index at byte {chunk.MessageIndexStart + position} runs past the chunk's indexes");
                }
                var fields = new McapFields(indexes.AsSpan(position + RecordPrefix, (int)length));
                ushort channel = fields.U16();
                var entries = fields.BytesU32();
                if (entries.Length % 16 != 0)
                {
                    throw new FormatException($"message index at byte {chunk.MessageIndexStart + position} holds {entries.Length} bytes, not whole entries");
                }
                for (int e = 0; e < entries.Length; e += 16)
                {
                    McapChannelCount.Add(found, channel, BinaryPrimitives.ReadUInt64LittleEndian(entries[e..]));
                }
                position += RecordPrefix + (int)length;
            }
        }
        catch (Exception e) when (e is FormatException or McapFormatException or OverflowException)
        {
            _warnings.Add($"message indexes of the chunk at byte {chunk.Offset} are damaged ({e.Message}); counted by reading the chunk");
            return false;
        }
        chunk.Counts = found;
        return true;
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();

    private static bool Accepts(McapReadFilter filter, ushort channelId, ulong logTime) =>
        logTime >= filter.StartTime && logTime <= filter.EndTime && (filter.ChannelIds is null || filter.ChannelIds.Contains(channelId));

    private void Index()
    {
        if (_length < Magic.Length * 2 + RecordPrefix)
        {
            throw Error(0, $"file is {_length} bytes, too short to be MCAP");
        }
        if (!ReadBytes(0, Magic.Length).AsSpan().SequenceEqual(Magic))
        {
            throw Error(0, "not an MCAP file (bad magic)");
        }
        long headerEnd = ReadHeader();
        if (TryReadSummary(headerEnd))
        {
            UsedSummary = true;
            return;
        }
        Scan(headerEnd);
    }

    private long ReadHeader()
    {
        long offset = Magic.Length;
        var (opcode, length) = ReadRecordPrefix(offset);
        if (opcode != (byte)McapOpcode.Header)
        {
            throw Error(offset, $"first record is opcode 0x{opcode:X2}, not a Header");
        }
        var body = ReadBody(offset, length);
        Parse(offset, body, (ref McapFields f) =>
        {
            Profile = f.String();
            Library = f.String();
        });
        return offset + RecordPrefix + (long)length;
    }

    private bool TryReadSummary(long dataStart)
    {
        long footerOffset = _length - Magic.Length - FooterRecordLength;
        if (footerOffset < dataStart || !ReadBytes(_length - Magic.Length, Magic.Length).AsSpan().SequenceEqual(Magic))
        {
            _warnings.Add("no closing magic or footer (file truncated or still being written); read by scanning the data section");
            return false;
        }
        var footer = ReadBytes(footerOffset, FooterRecordLength);
        if (footer[0] != (byte)McapOpcode.Footer || BinaryPrimitives.ReadUInt64LittleEndian(footer.AsSpan(1)) != 20)
        {
            _warnings.Add("footer record is damaged; read by scanning the data section");
            return false;
        }
        ulong summaryStart = BinaryPrimitives.ReadUInt64LittleEndian(footer.AsSpan(9));
        uint summaryCrc = BinaryPrimitives.ReadUInt32LittleEndian(footer.AsSpan(25));
        if (summaryStart == 0)
        {
            _warnings.Add("file has no summary section; read by scanning the data section");
            return false;
        }
        if (summaryStart < (ulong)dataStart || summaryStart > (ulong)footerOffset)
        {
            _warnings.Add($"footer points the summary at byte {summaryStart}, outside the file's records; read by scanning the data section");
            return false;
        }
        var summary = ReadBytes((long)summaryStart, (int)(footerOffset - (long)summaryStart));
        if (summaryCrc != 0)
        {
            uint crc = Crc32.Append(Crc32.Compute(summary), footer.AsSpan(0, RecordPrefix + 16));
            if (crc != summaryCrc)
            {
                _warnings.Add("summary section CRC mismatch (damaged summary); read by scanning the data section");
                return false;
            }
        }
        var schemas = new Dictionary<ushort, McapSchema>();
        var channels = new Dictionary<ushort, McapChannel>();
        var chunks = new List<ChunkRef>();
        var metadataIndexes = new List<(ulong Offset, ulong Length, string Name)>();
        McapStatistics? statistics = null;
        try
        {
            int position = 0;
            while (position < summary.Length)
            {
                if (summary.Length - position < RecordPrefix)
                {
                    throw new FormatException("summary ends inside a record header");
                }
                byte opcode = summary[position];
                ulong length = BinaryPrimitives.ReadUInt64LittleEndian(summary.AsSpan(position + 1));
                if (length > (ulong)(summary.Length - position - RecordPrefix))
                {
                    throw new FormatException($"summary record of {length} bytes runs past the footer");
                }
                var body = summary.AsSpan(position + RecordPrefix, (int)length);
                var fields = new McapFields(body);
                switch ((McapOpcode)opcode)
                {
                    case McapOpcode.Schema:
                        var schema = ReadSchema(ref fields);
                        schemas[schema.Id] = schema;
                        break;
                    case McapOpcode.Channel:
                        var channel = ReadChannel(ref fields);
                        channels[channel.Id] = channel;
                        break;
                    case McapOpcode.ChunkIndex:
                        var index = ReadChunkIndex(ref fields);
                        if (index.ChunkStartOffset + index.ChunkLength > (ulong)_length)
                        {
                            throw new FormatException($"chunk index points past the end of the file (offset {index.ChunkStartOffset})");
                        }
                        chunks.Add(new ChunkRef((long)index.ChunkStartOffset, index.MessageStartTime, index.MessageEndTime,
                            index.MessageIndexOffsets.Count > 0 ? index.MessageIndexOffsets.Keys.ToHashSet() : null)
                        {
                            MessageIndexStart = (long)(index.ChunkStartOffset + index.ChunkLength),
                            MessageIndexLength = index.MessageIndexOffsets.Count > 0
                                && index.ChunkStartOffset + index.ChunkLength + index.MessageIndexLength <= (ulong)_length
                                ? (long)index.MessageIndexLength : 0,
                        });
                        break;
                    case McapOpcode.MetadataIndex:
                        metadataIndexes.Add((fields.U64(), fields.U64(), fields.String()));
                        break;
                    case McapOpcode.Statistics:
                        statistics = ReadStatistics(ref fields);
                        break;
                }
                position += RecordPrefix + (int)length;
            }
        }
        catch (FormatException e)
        {
            _warnings.Add($"summary section is damaged ({e.Message}); read by scanning the data section");
            return false;
        }

        bool hasMessages = statistics is null || statistics.MessageCount > 0;
        if (hasMessages && (chunks.Count == 0 || channels.Count == 0))
        {
            // Valid, but the summary does not say where messages or channels are: only a scan can.
            return false;
        }
        foreach (var (id, schema) in schemas) _schemas[id] = schema;
        foreach (var (id, channel) in channels) _channels[id] = channel;
        _chunks.AddRange(chunks);
        Statistics = statistics;
        foreach (var (offset, length, name) in metadataIndexes)
        {
            ReadMetadataRecord((long)offset, name);
        }
        return true;
    }

    private void ReadMetadataRecord(long offset, string indexedName)
    {
        try
        {
            var (opcode, length) = ReadRecordPrefix(offset);
            if (opcode != (byte)McapOpcode.Metadata)
            {
                throw Error(offset, $"metadata index '{indexedName}' points at opcode 0x{opcode:X2}, not a Metadata record");
            }
            Parse(offset, ReadBody(offset, length), (ref McapFields f) => _metadata.Add(new McapMetadata(f.String(), f.StringMap())));
        }
        catch (McapFormatException e)
        {
            _warnings.Add($"metadata record '{indexedName}' is unreadable and skipped: {e.Problem}");
        }
    }

    private void Scan(long offset)
    {
        while (offset < _length)
        {
            if (_length - offset < RecordPrefix)
            {
                if (_length - offset != Magic.Length)
                {
                    _warnings.Add($"file ends inside a record header at byte {offset}");
                }
                return;
            }
            var (opcode, length) = ReadRecordPrefix(offset);
            if (length > (ulong)(_length - offset - RecordPrefix))
            {
                _warnings.Add($"record 0x{opcode:X2} at byte {offset} claims {length} bytes but the file ends first (truncated); messages after it are lost");
                return;
            }
            switch ((McapOpcode)opcode)
            {
                case McapOpcode.Schema:
                case McapOpcode.Channel:
                    Parse(offset, ReadBody(offset, length), (ref McapFields f) => Register((McapOpcode)opcode, ref f));
                    break;
                case McapOpcode.Message:
                    var head = ReadBytes(offset + RecordPrefix, (int)Math.Min(length, 22UL));
                    if (length < 22)
                    {
                        _warnings.Add($"message record at byte {offset} is shorter than its fixed fields; skipped");
                        break;
                    }
                    _looseMessages.Add(new LooseMessage(BinaryPrimitives.ReadUInt16LittleEndian(head),
                        BinaryPrimitives.ReadUInt64LittleEndian(head.AsSpan(6)), offset, (long)length));
                    break;
                case McapOpcode.Chunk:
                    ScanChunk(offset, length);
                    break;
                case McapOpcode.Metadata:
                    ReadMetadataRecord(offset, "(found by scanning)");
                    break;
                case McapOpcode.DataEnd:
                case McapOpcode.Footer:
                    return;
            }
            offset += RecordPrefix + (long)length;
        }
    }

    private void ScanChunk(long offset, ulong length)
    {
        try
        {
            var (start, end, records) = DecompressChunk(offset, ReadBody(offset, length));
            var counts = new Dictionary<ushort, McapChannelCount>();
            ForEachRecord(offset, records, (byte opcode, ref McapFields f, int _) =>
            {
                if (opcode is (byte)McapOpcode.Schema or (byte)McapOpcode.Channel)
                {
                    Register((McapOpcode)opcode, ref f);
                }
                else if (opcode == (byte)McapOpcode.Message)
                {
                    ushort channel = f.U16();
                    f.U32();
                    McapChannelCount.Add(counts, channel, f.U64());
                }
            });
            _chunks.Add(new ChunkRef(offset, start, end, counts.Keys.ToHashSet()) { Counts = counts });
        }
        catch (Exception e) when (e is McapFormatException or CompressionException)
        {
            _warnings.Add($"chunk at byte {offset} is unreadable and skipped: {e.Message}");
        }
    }

    private void Register(McapOpcode opcode, ref McapFields fields)
    {
        if (opcode == McapOpcode.Schema)
        {
            var schema = ReadSchema(ref fields);
            _schemas.TryAdd(schema.Id, schema);
        }
        else
        {
            var channel = ReadChannel(ref fields);
            _channels.TryAdd(channel.Id, channel);
        }
    }

    private List<McapMessage> ReadChunkMessages(ChunkRef chunk)
    {
        var (opcode, length) = ReadRecordPrefix(chunk.Offset);
        if (opcode != (byte)McapOpcode.Chunk)
        {
            throw Error(chunk.Offset, $"chunk index points at opcode 0x{opcode:X2}, not a Chunk");
        }
        if (length > (ulong)(_length - chunk.Offset - RecordPrefix))
        {
            throw Error(chunk.Offset, $"chunk claims {length} bytes but the file ends first");
        }
        var (_, _, records) = DecompressChunk(chunk.Offset, ReadBody(chunk.Offset, length));
        var messages = new List<McapMessage>();
        ForEachRecord(chunk.Offset, records, (byte op, ref McapFields f, int bodyStart) =>
        {
            if (op is (byte)McapOpcode.Schema or (byte)McapOpcode.Channel)
            {
                Register((McapOpcode)op, ref f);
            }
            else if (op == (byte)McapOpcode.Message)
            {
                messages.Add(ReadMessage(ref f, records, bodyStart));
            }
        });
        return messages;
    }

    private McapMessage ReadLooseMessage(LooseMessage loose)
    {
        var body = ReadBody(loose.Offset, (ulong)loose.Length);
        McapMessage? message = null;
        Parse(loose.Offset, body, (ref McapFields f) => message = ReadMessage(ref f, body, 0));
        return message!;
    }

    // Message data is sliced out of the (decompressed) buffer it lives in, not copied;
    // bodyStart is where the record body starts in that buffer.
    private static McapMessage ReadMessage(ref McapFields f, byte[] buffer, int bodyStart)
    {
        ushort channel = f.U16();
        uint sequence = f.U32();
        ulong logTime = f.U64();
        ulong publishTime = f.U64();
        int dataStart = bodyStart + f.Position;
        int dataLength = f.Remaining;
        f.Rest();
        return new McapMessage(channel, sequence, logTime, publishTime, buffer.AsMemory(dataStart, dataLength));
    }

    private (ulong Start, ulong End, byte[] Records) DecompressChunk(long offset, byte[] body)
    {
        ulong start = 0, end = 0, uncompressedSize = 0;
        uint crc = 0;
        string compression = "";
        int recordsStart = 0, recordsLength = 0;
        Parse(offset, body, (ref McapFields f) =>
        {
            start = f.U64();
            end = f.U64();
            uncompressedSize = f.U64();
            crc = f.U32();
            compression = f.String();
            var records = f.BytesU64();
            recordsLength = records.Length;
            recordsStart = f.Position - recordsLength;
        });
        var compressed = body.AsSpan(recordsStart, recordsLength);
        if (uncompressedSize > int.MaxValue)
        {
            throw Error(offset, $"chunk declares {uncompressedSize} uncompressed bytes, more than this reader supports");
        }
        byte[] records = compression switch
        {
            "" => uncompressedSize == (ulong)recordsLength
                ? compressed.ToArray()
                : throw Error(offset, $"uncompressed chunk holds {recordsLength} bytes but declares {uncompressedSize}"),
            "zstd" => Zstd.Decompress(compressed, (long)uncompressedSize),
            "lz4" => Lz4Frame.Decompress(compressed, (long)uncompressedSize),
            _ => throw Error(offset, $"chunk compression '{compression}' is not supported (only zstd, lz4 or none)"),
        };
        if (crc != 0 && Crc32.Compute(records) != crc)
        {
            throw Error(offset, "chunk CRC mismatch (damaged chunk)");
        }
        return (start, end, records);
    }

    private delegate void RecordVisitor(byte opcode, ref McapFields fields, int bodyStart);

    private void ForEachRecord(long chunkOffset, byte[] records, RecordVisitor visit)
    {
        int position = 0;
        while (position < records.Length)
        {
            if (records.Length - position < RecordPrefix)
            {
                throw Error(chunkOffset, $"chunk records end inside a record header at {position}");
            }
            byte opcode = records[position];
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(records.AsSpan(position + 1));
            if (length > (ulong)(records.Length - position - RecordPrefix))
            {
                throw Error(chunkOffset, $"record in chunk at {position} claims {length} bytes, past the chunk's end");
            }
            var fields = new McapFields(records.AsSpan(position + RecordPrefix, (int)length));
            int bodyStart = position + RecordPrefix;
            try
            {
                visit(opcode, ref fields, bodyStart);
            }
            catch (FormatException e)
            {
                throw Error(chunkOffset, $"bad record 0x{opcode:X2} inside chunk at {position}: {e.Message}");
            }
            position = bodyStart + (int)length;
        }
    }

    private static McapSchema ReadSchema(ref McapFields f)
    {
        ushort id = f.U16();
        string name = f.String();
        string encoding = f.String();
        return new McapSchema(id, name, encoding, f.BytesU32().ToArray());
    }

    private static McapChannel ReadChannel(ref McapFields f)
    {
        ushort id = f.U16();
        ushort schemaId = f.U16();
        string topic = f.String();
        string encoding = f.String();
        return new McapChannel(id, schemaId, topic, encoding, f.StringMap());
    }

    private static McapChunkIndex ReadChunkIndex(ref McapFields f) =>
        new(f.U64(), f.U64(), f.U64(), f.U64(), f.U16U64Map(), f.U64(), f.String(), f.U64(), f.U64());

    private static McapStatistics ReadStatistics(ref McapFields f) =>
        new(f.U64(), f.U16(), f.U32(), f.U32(), f.U32(), f.U32(), f.U64(), f.U64(), f.U16U64Map());

    private delegate void BodyParser(ref McapFields fields);

    private void Parse(long offset, ReadOnlySpan<byte> body, BodyParser parse)
    {
        var fields = new McapFields(body);
        try
        {
            parse(ref fields);
        }
        catch (FormatException e)
        {
            throw Error(offset, e.Message);
        }
    }

    private (byte Opcode, ulong Length) ReadRecordPrefix(long offset)
    {
        var prefix = ReadBytes(offset, RecordPrefix);
        return (prefix[0], BinaryPrimitives.ReadUInt64LittleEndian(prefix.AsSpan(1)));
    }

    private byte[] ReadBody(long recordOffset, ulong length)
    {
        if (length > (ulong)(_length - recordOffset - RecordPrefix) || length > int.MaxValue)
        {
            throw Error(recordOffset, $"record claims {length} bytes but the file ends first");
        }
        return ReadBytes(recordOffset + RecordPrefix, (int)length);
    }

    private byte[] ReadBytes(long offset, int count)
    {
        if (offset < 0 || count < 0 || offset + count > _length)
        {
            throw Error(offset, $"needs {count} bytes but the file ends at {_length}");
        }
        var buffer = new byte[count];
        int done = 0;
        while (done < count)
        {
            int read = RandomAccess.Read(_file, buffer.AsSpan(done), offset + done);
            if (read == 0)
            {
                throw Error(offset + done, "unexpected end of file");
            }
            done += read;
        }
        return buffer;
    }

    private McapFormatException Error(long offset, string problem) => new(FilePath, offset, problem);

    private sealed record ChunkRef(long Offset, ulong Start, ulong End, HashSet<ushort>? ChannelIds)
    {
        /// <summary>Where the chunk's message index records are (summary only); length 0 when it has none.</summary>
        public long MessageIndexStart { get; init; }

        public long MessageIndexLength { get; init; }

        /// <summary>Messages per channel, once known (a scan counts them as it indexes).</summary>
        public Dictionary<ushort, McapChannelCount>? Counts { get; set; }
    }

    private sealed record LooseMessage(ushort ChannelId, ulong LogTime, long Offset, long Length);
}
