using Mosaic.Ros.Messages;

namespace Mosaic.Ros.Bags;

/// <summary>How <see cref="Rosbag2Writer"/> stores a bag.</summary>
public sealed record Rosbag2WriterOptions
{
    /// <summary>"mcap" (default, zstd chunks) or "sqlite3" (schema v4).</summary>
    public string StorageIdentifier { get; init; } = "mcap";

    /// <summary>MCAP chunk compression: "zstd", "lz4" or "".</summary>
    public string McapCompression { get; init; } = "zstd";

    /// <summary>MCAP chunk size in uncompressed bytes (rosbag2's mcap <c>chunk_size</c>); smaller chunks lose less when a recording is cut off.</summary>
    public int McapChunkSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>Distribution name recorded in metadata.yaml and the sqlite3 schema table.</summary>
    public string RosDistro { get; init; } = "jazzy";

    /// <summary>
    /// Start a new storage file once the current one holds this many bytes (rosbag2's
    /// <c>max_bagfile_size</c>); 0 = never. Bytes count when they reach the file, so an MCAP file can
    /// exceed the size by up to one compressed chunk (chunks are then at most a quarter of this size)
    /// and an sqlite3 file by up to 1000 messages.
    /// </summary>
    public long MaxFileSize { get; init; }

    /// <summary>
    /// Start a new storage file before a message that is this much later than the current file's first
    /// message (rosbag2's <c>max_bagfile_duration</c>); zero = never.
    /// </summary>
    public TimeSpan MaxFileDuration { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (StorageIdentifier is not ("mcap" or "sqlite3"))
        {
            throw new ArgumentException($"unknown storage '{StorageIdentifier}' (use mcap or sqlite3)");
        }
        if (McapCompression is not ("zstd" or "lz4" or ""))
        {
            throw new ArgumentException($"unknown MCAP compression '{McapCompression}' (use zstd, lz4, or \"\" for none)");
        }
        if (McapChunkSize <= 0)
        {
            throw new ArgumentException($"McapChunkSize must be positive, not {McapChunkSize}");
        }
        if (MaxFileSize < 0)
        {
            throw new ArgumentException($"MaxFileSize must be 0 (no split) or positive, not {MaxFileSize}");
        }
        if (MaxFileDuration < TimeSpan.Zero)
        {
            throw new ArgumentException($"MaxFileDuration must be zero (no split) or positive, not {MaxFileDuration}");
        }
    }
}

/// <summary>
/// Writes a rosbag2 directory: storage files <c>name_0.mcap</c>, <c>name_1.mcap</c>, ... (or <c>.db3</c>),
/// split by <see cref="Rosbag2WriterOptions.MaxFileSize"/> and <see cref="Rosbag2WriterOptions.MaxFileDuration"/>.
/// Each file is complete on its own (every declared topic and definition, the bag's metadata so far
/// embedded as rosbag2 does); metadata.yaml (version 9) is written on <see cref="Dispose"/>.
/// </summary>
public sealed class Rosbag2Writer : IDisposable
{
    private readonly string _directory;
    private readonly string _name;
    private readonly Rosbag2WriterOptions _options;
    private readonly List<(BagTopic Topic, BagMessageDefinition Definition)> _topics = new();
    private readonly Dictionary<string, long> _counts = new();
    private readonly List<BagFileInformation> _closedFiles = new();
    private IStorageFileWriter _file;
    private string _fileName;
    private long _fileCount, _fileStart = long.MaxValue, _fileEnd = long.MinValue;
    private bool _disposed;

    private Rosbag2Writer(string directory, Rosbag2WriterOptions options)
    {
        _directory = directory;
        _options = options;
        _name = Path.GetFileName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar));
        (_file, _fileName) = OpenFile(0);
    }

    /// <summary>Creates the bag directory <paramref name="directory"/> (which must not exist yet) and starts writing.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static Rosbag2Writer Create(string directory, Rosbag2WriterOptions? options = null)
    {
        options ??= new Rosbag2WriterOptions();
        options.Validate();
        if (Directory.Exists(directory) || File.Exists(directory))
        {
            throw new IOException($"{directory}: already exists; a bag is never written over another");
        }
        Directory.CreateDirectory(directory);
        return new Rosbag2Writer(directory, options);
    }

    /// <summary>The storage file being written.</summary>
    public string FilePath => Path.Combine(_directory, _fileName);

    /// <summary>Every storage file so far, the one being written last.</summary>
    public IReadOnlyList<string> FilePaths =>
        [.. _closedFiles.Select(f => Path.Combine(_directory, f.Path)), .. _disposed ? Array.Empty<string>() : [FilePath]];

    /// <summary>Declares a topic of a Mosaic message type.</summary>
    public void AddTopic<T>(string name, string offeredQosProfiles = "") where T : IRosMessage<T> =>
        AddTopic(new BagTopic(name, T.Definition.Name, "cdr", offeredQosProfiles), T.Definition.FullText());

    /// <summary>Declares a topic with its type's ros2msg definition text (empty when unknown).</summary>
    public void AddTopic(BagTopic topic, string definition) => AddTopic(topic, new BagMessageDefinition(topic.Type, "ros2msg", definition));

    /// <summary>Declares a topic with its type's definition in any encoding rosbag2 stores (ros2msg, ros2idl).</summary>
    public void AddTopic(BagTopic topic, BagMessageDefinition definition)
    {
        if (_counts.ContainsKey(topic.Name))
        {
            throw new ArgumentException($"topic '{topic.Name}' is already declared");
        }
        _file.AddTopic(topic, definition);
        _topics.Add((topic, definition));
        _counts[topic.Name] = 0;
    }

    /// <summary>Writes a message object on a declared topic at receive time <paramref name="timestamp"/> (ns).</summary>
    public void Write(string topic, long timestamp, IRosMessage message) => Write(topic, timestamp, RosSerializer.Serialize(message));

    /// <summary>Writes serialized bytes (encapsulation header included) on a declared topic.</summary>
    public void Write(string topic, long timestamp, ReadOnlySpan<byte> data)
    {
        if (!_counts.TryGetValue(topic, out long sequence))
        {
            throw new ArgumentException($"topic '{topic}' was not declared with AddTopic");
        }
        if (_fileCount > 0 && SplitBefore(timestamp))
        {
            CloseFile();
            (_file, _fileName) = OpenFile(_closedFiles.Count);
            foreach (var (declared, definition) in _topics)
            {
                _file.AddTopic(declared, definition);
            }
        }
        _file.Write(topic, sequence, timestamp, data);
        _counts[topic] = sequence + 1;
        _fileCount++;
        _fileStart = Math.Min(_fileStart, timestamp);
        _fileEnd = Math.Max(_fileEnd, timestamp);
    }

    private bool SplitBefore(long timestamp) =>
        (_options.MaxFileSize > 0 && _file.Length >= _options.MaxFileSize)
        || (_options.MaxFileDuration > TimeSpan.Zero && (timestamp - _fileStart) / 100 >= _options.MaxFileDuration.Ticks);

    private (IStorageFileWriter File, string Name) OpenFile(int index)
    {
        string name = $"{_name}_{index}.{(_options.StorageIdentifier == "mcap" ? "mcap" : "db3")}";
        string path = Path.Combine(_directory, name);
        IStorageFileWriter file = _options.StorageIdentifier == "mcap" ? new McapFileWriter(path, _options) : new SqliteFileWriter(path, _options);
        return (file, name);
    }

    private BagFileInformation CurrentFile() =>
        new(_fileName, _fileCount > 0 ? _fileStart : 0, _fileCount > 0 ? _fileEnd - _fileStart : 0, _fileCount);

    private void CloseFile()
    {
        var current = CurrentFile();
        _file.Finish(Metadata([.. _closedFiles, current]));
        _closedFiles.Add(current);
        _fileCount = 0;
        _fileStart = long.MaxValue;
        _fileEnd = long.MinValue;
    }

    private BagMetadata Metadata(IReadOnlyList<BagFileInformation> files)
    {
        var withMessages = files.Where(f => f.MessageCount > 0).ToList();
        long start = withMessages.Count > 0 ? withMessages.Min(f => f.StartingTime) : 0;
        long end = withMessages.Count > 0 ? withMessages.Max(f => f.StartingTime + f.Duration) : 0;
        return new BagMetadata(9, _options.StorageIdentifier, files.Select(f => f.Path).ToList(),
            start, end - start, files.Sum(f => f.MessageCount),
            _topics.Select(t => new BagMetadataTopic(t.Topic, _counts[t.Topic.Name])).ToList(),
            RosDistro: _options.RosDistro, Files: files);
    }

    /// <summary>Finishes the storage file and writes metadata.yaml.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        CloseFile();
        Metadata(_closedFiles).Save(Path.Combine(_directory, BagMetadata.FileName));
    }
}
