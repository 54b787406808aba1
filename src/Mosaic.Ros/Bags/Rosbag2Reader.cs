using Mosaic.Ros.Compression;
using Mosaic.Ros.Messages;

namespace Mosaic.Ros.Bags;

/// <summary>Which messages <see cref="Rosbag2Reader.ReadMessages"/> returns; times are receive times in nanoseconds, inclusive.</summary>
public sealed record BagReadOptions(IReadOnlySet<string>? Topics = null, long StartTime = long.MinValue, long EndTime = long.MaxValue);

/// <summary>
/// One API over a rosbag2 recording: a bag directory (metadata.yaml v1-v9, split into several
/// files, FILE or MESSAGE zstd compression) or a bare <c>.db3</c> / <c>.mcap</c> file. Messages from
/// all files come out in one timestamp order; typed decoding goes through <see cref="MessageRegistry"/>.
/// </summary>
public sealed class Rosbag2Reader : IDisposable
{
    private readonly List<IBagStorage> _storages = new();
    private readonly List<string> _temporaryFiles = new();
    private readonly List<string> _warnings = new();
    private readonly Dictionary<string, DynamicDecoder?> _decoders = new();
    private readonly BagMetadata? _metadataFile;
    private IReadOnlyDictionary<string, BagTopicStatistics>? _statistics;

    private Rosbag2Reader(string path, BagMetadata? metadataFile)
    {
        Path = path;
        _metadataFile = metadataFile;
    }

    /// <summary>The directory or file opened.</summary>
    public string Path { get; }

    /// <summary>
    /// metadata.yaml; where there is none (a bare storage file, a lost metadata.yaml), the most complete
    /// copy rosbag2 embedded in the storage files (see <see cref="MetadataIsEmbedded"/>); else null.
    /// </summary>
    public BagMetadata? Metadata => _metadataFile
        ?? _storages.Select(s => s.EmbeddedMetadata).OfType<BagMetadata>().MaxBy(m => m.MessageCount);

    /// <summary>Whether <see cref="Metadata"/> comes from inside a storage file rather than metadata.yaml.</summary>
    public bool MetadataIsEmbedded => _metadataFile is null && Metadata is not null;

    /// <summary>"sqlite3" or "mcap".</summary>
    public string StorageIdentifier => _storages.Count > 0 ? _storages[0].StorageIdentifier : Metadata?.StorageIdentifier ?? "";

    /// <summary>The storage files, in order.</summary>
    public IReadOnlyList<string> Files => _storages.Select(s => s.FilePath).ToList();

    /// <summary>"" (none), "FILE" or "MESSAGE" zstd compression.</summary>
    public string CompressionMode => Metadata?.CompressionMode ?? "";

    /// <summary>Every topic of every file (first definition of a name wins).</summary>
    public IReadOnlyList<BagTopic> Topics =>
        _storages.SelectMany(s => s.Topics).GroupBy(t => t.Name).Select(g => g.First()).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();

    /// <summary>Message definitions stored in the files (MCAP schemas, sqlite3 v4 message_definitions).</summary>
    public IReadOnlyList<BagMessageDefinition> Definitions =>
        _storages.SelectMany(s => s.Definitions).GroupBy(d => d.Type).Select(g => g.First()).ToList();

    /// <summary>Things that did not stop reading but lost or distrusted something (damaged summary, non-cdr topics, ...).</summary>
    public IReadOnlyList<string> Warnings => _warnings.Concat(_storages.SelectMany(s => s.Warnings.Select(w => $"{s.FilePath}: {w}"))).ToList();

    /// <summary>Opens a bag directory or a single storage file.</summary>
    public static Rosbag2Reader Open(string path)
    {
        if (Directory.Exists(path))
        {
            return OpenDirectory(path);
        }
        if (!File.Exists(path))
        {
            throw new BagFormatException(path, "no such bag directory or file");
        }
        if (System.IO.Path.GetFileName(path) == BagMetadata.FileName)
        {
            return OpenDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        }
        var reader = new Rosbag2Reader(path, null);
        reader.AddFile(path, fileCompressed: path.EndsWith(".zstd", StringComparison.Ordinal));
        reader.CheckFormats();
        return reader;
    }

    private static Rosbag2Reader OpenDirectory(string directory)
    {
        string metadataPath = System.IO.Path.Combine(directory, BagMetadata.FileName);
        var metadata = File.Exists(metadataPath) ? BagMetadata.Load(metadataPath) : null;
        var reader = new Rosbag2Reader(directory, metadata);
        try
        {
            List<string> files;
            if (metadata is not null && metadata.RelativeFilePaths.Count > 0)
            {
                files = new List<string>();
                foreach (var relative in metadata.RelativeFilePaths)
                {
                    var file = ResolveFile(directory, relative);
                    if (file is null)
                    {
                        reader._warnings.Add($"{System.IO.Path.Combine(directory, relative)}: listed in {BagMetadata.FileName} but missing; its messages are not read");
                    }
                    else
                    {
                        files.Add(file);
                    }
                }
            }
            else
            {
                files = Directory.EnumerateFiles(directory)
                    .Where(f => f.EndsWith(".db3", StringComparison.Ordinal) || f.EndsWith(".mcap", StringComparison.Ordinal)
                             || f.EndsWith(".db3.zstd", StringComparison.Ordinal) || f.EndsWith(".mcap.zstd", StringComparison.Ordinal))
                    .OrderBy(SplitOrder).ThenBy(f => f, StringComparer.Ordinal).ToList();
                if (metadata is null)
                {
                    reader._warnings.Add($"{directory}: no {BagMetadata.FileName}; reading the {files.Count} storage file(s) found in the directory");
                }
            }
            if (files.Count == 0)
            {
                throw new BagFormatException(directory, "bag directory holds no .db3 or .mcap files");
            }
            bool fileCompressed = metadata?.CompressionMode == "FILE";
            foreach (var file in files)
            {
                reader.AddFile(file, fileCompressed || file.EndsWith(".zstd", StringComparison.Ordinal));
            }
            reader.CheckFormats();
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    // rosbag2 numbers split files name_0, name_1, ..., name_10: order by that number, not by text.
    private static long SplitOrder(string file)
    {
        string name = System.IO.Path.GetFileName(file);
        int dot = name.IndexOf('.');
        string stem = dot < 0 ? name : name[..dot];
        int underscore = stem.LastIndexOf('_');
        return underscore >= 0 && long.TryParse(stem.AsSpan(underscore + 1), System.Globalization.NumberStyles.None, null, out long index) ? index : -1;
    }

    // Older rosbag2 versions wrote paths that include the bag directory's name; accept both.
    private static string? ResolveFile(string directory, string relative)
    {
        string direct = System.IO.Path.Combine(directory, relative);
        if (File.Exists(direct))
        {
            return direct;
        }
        string byName = System.IO.Path.Combine(directory, System.IO.Path.GetFileName(relative));
        if (File.Exists(byName))
        {
            return byName;
        }
        return null;
    }

    private void AddFile(string file, bool fileCompressed)
    {
        string openPath = file;
        if (fileCompressed)
        {
            openPath = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"mosaic-{Guid.NewGuid():N}-{System.IO.Path.GetFileNameWithoutExtension(file)}");
            _temporaryFiles.Add(openPath);
            try
            {
                using var input = File.OpenRead(file);
                using var output = File.Create(openPath);
                Zstd.DecompressStream(input, output);
            }
            catch (CompressionException e)
            {
                throw new BagFormatException(file, "FILE-compressed storage cannot be decompressed: " + e.Message, e);
            }
        }
        var storage = OpenStorage(openPath, file);
        _storages.Add(storage);
    }

    private static IBagStorage OpenStorage(string path, string originalPath)
    {
        Span<byte> head = stackalloc byte[16];
        int read;
        using (var stream = File.OpenRead(path))
        {
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        if (read >= 8 && head[..8].SequenceEqual(Mcap.McapReader.Magic))
        {
            return McapStorage.Open(path);
        }
        if (read >= 16 && head.SequenceEqual("SQLite format 3\0"u8))
        {
            return SqliteStorage.Open(path);
        }
        throw new BagFormatException(originalPath, "neither an MCAP nor an sqlite3 file (unknown magic bytes)");
    }

    private void CheckFormats()
    {
        foreach (var topic in Topics.Where(t => t.SerializationFormat != "cdr"))
        {
            _warnings.Add($"topic '{topic.Name}' is serialized as '{topic.SerializationFormat}', not cdr; its messages can be read but not decoded");
        }
    }

    /// <summary>Per-topic counts and time ranges, summed over files (reads the files once; cached).</summary>
    public IReadOnlyDictionary<string, BagTopicStatistics> Statistics()
    {
        if (_statistics is null)
        {
            var merged = new Dictionary<string, BagTopicStatistics>();
            foreach (var storage in _storages)
            {
                foreach (var (topic, s) in storage.Statistics())
                {
                    merged[topic] = merged.TryGetValue(topic, out var m)
                        ? new BagTopicStatistics(m.MessageCount + s.MessageCount, Math.Min(m.StartTime, s.StartTime), Math.Max(m.EndTime, s.EndTime))
                        : s;
                }
            }
            _statistics = merged;
        }
        return _statistics;
    }

    /// <summary>
    /// Messages of all files in timestamp order (ties: file order), filtered by <paramref name="options"/>.
    /// MESSAGE-compressed data is decompressed here.
    /// </summary>
    public IEnumerable<BagMessage> ReadMessages(BagReadOptions? options = null)
    {
        options ??= new BagReadOptions();
        bool messageCompressed = CompressionMode == "MESSAGE";
        var heads = new PriorityQueue<IEnumerator<BagMessage>, (long Time, int File)>();
        var open = new List<IEnumerator<BagMessage>>();
        try
        {
            for (int i = 0; i < _storages.Count; i++)
            {
                var enumerator = _storages[i].Read(options.Topics, options.StartTime, options.EndTime).GetEnumerator();
                open.Add(enumerator);
                if (enumerator.MoveNext())
                {
                    heads.Enqueue(enumerator, (enumerator.Current.Timestamp, i));
                }
            }
            while (heads.TryDequeue(out var enumerator, out var key))
            {
                var message = enumerator.Current;
                if (messageCompressed)
                {
                    message = message with { Data = DecompressMessage(message) };
                }
                yield return message;
                if (enumerator.MoveNext())
                {
                    heads.Enqueue(enumerator, (enumerator.Current.Timestamp, key.File));
                }
            }
        }
        finally
        {
            foreach (var enumerator in open)
            {
                enumerator.Dispose();
            }
        }
    }

    private byte[] DecompressMessage(BagMessage message)
    {
        try
        {
            return Zstd.Decompress(message.Data.Span);
        }
        catch (CompressionException e)
        {
            throw new BagFormatException(Path, $"message on '{message.Topic.Name}' at {message.Timestamp} is not valid zstd: {e.Message}", e);
        }
    }

    /// <summary>Decodes a message into its record (see <see cref="MessageRegistry"/> for the known types).</summary>
    /// <exception cref="NotSupportedException">The topic is not cdr, or the type has no decoder.</exception>
    /// <exception cref="Cdr.CdrException">The bytes are malformed.</exception>
    public static object Decode(BagMessage message)
    {
        RequireCdr(message.Topic);
        return MessageRegistry.Decode(message.Topic.Type, message.Data.Span);
    }

    /// <summary>Decodes a message as <typeparamref name="T"/>, checking that the topic's type is T's.</summary>
    public static T Decode<T>(BagMessage message) where T : IRosMessage<T>
    {
        RequireCdr(message.Topic);
        if (MessageDefinition.NormalizeName(message.Topic.Type) != T.Definition.Name)
        {
            throw new NotSupportedException($"topic '{message.Topic.Name}' has type '{message.Topic.Type}', not {T.Definition.Name}");
        }
        return RosSerializer.Deserialize<T>(message.Data.Span);
    }

    /// <summary>
    /// A decoder for any type whose definition is known: stored in the bag (ros2msg) or in
    /// <see cref="MessageRegistry"/>. Null when neither has a usable one (sqlite3 bags before schema v4
    /// store no definitions; a stored definition that names types it does not define is reported in
    /// <see cref="Warnings"/>).
    /// </summary>
    public DynamicDecoder? DecoderFor(string type)
    {
        if (!_decoders.TryGetValue(type, out var decoder))
        {
            var stored = Definitions.FirstOrDefault(d => d.Type == type && d.Encoding == "ros2msg" && d.Text.Length > 0);
            if (stored is not null)
            {
                try
                {
                    decoder = DynamicDecoder.Parse(type, stored.Text);
                }
                catch (FormatException e)
                {
                    _warnings.Add($"the stored definition of {type} cannot be used: {e.Message}");
                }
            }
            if (decoder is null && MessageRegistry.FindDefinition(type) is { } known)
            {
                decoder = DynamicDecoder.Parse(type, known.FullText());
            }
            _decoders[type] = decoder;
        }
        return decoder;
    }

    /// <summary>Decodes any message whose definition is known into nested dictionaries (see <see cref="DynamicDecoder"/>).</summary>
    /// <exception cref="NotSupportedException">The topic is not cdr, or no definition of its type is known.</exception>
    public IReadOnlyDictionary<string, object?> DecodeDynamic(BagMessage message)
    {
        RequireCdr(message.Topic);
        var decoder = DecoderFor(message.Topic.Type)
            ?? throw new NotSupportedException($"no definition of '{message.Topic.Type}' in the bag or in Mosaic's registry");
        return decoder.Decode(message.Data.Span);
    }

    private static void RequireCdr(BagTopic topic)
    {
        if (topic.SerializationFormat != "cdr")
        {
            throw new NotSupportedException($"topic '{topic.Name}' is serialized as '{topic.SerializationFormat}'; only cdr can be decoded");
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var storage in _storages)
        {
            storage.Dispose();
        }
        _storages.Clear();
        foreach (var file in _temporaryFiles)
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
                // Temp copy of a decompressed file; leaving it behind loses nothing.
            }
        }
    }
}
