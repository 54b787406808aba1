using System.Text;
using Mosaic.Ros.Mcap;
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
}

/// <summary>
/// Writes a rosbag2 directory: one storage file (<c>name_0.mcap</c> or <c>name_0.db3</c>) with the
/// message definitions rosbag2 stores, and metadata.yaml (version 9) on <see cref="Dispose"/>.
/// </summary>
public sealed class Rosbag2Writer : IDisposable
{
    private readonly string _directory;
    private readonly Rosbag2WriterOptions _options;
    private readonly string _fileName;
    private readonly Dictionary<string, (BagTopic Topic, int Id)> _topics = new();
    private readonly Dictionary<string, long> _counts = new();
    private readonly McapWriter? _mcap;
    private readonly Dictionary<string, ushort> _mcapSchemas = new();
    private readonly SqliteDatabase? _sqlite;
    private readonly SQLitePCL.sqlite3_stmt? _insertMessage;
    private readonly HashSet<string> _sqliteDefinitions = new();
    private long _start = long.MaxValue, _end = long.MinValue, _pendingInTransaction;
    private bool _disposed;

    private Rosbag2Writer(string directory, Rosbag2WriterOptions options)
    {
        _directory = directory;
        _options = options;
        string name = Path.GetFileName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar));
        switch (options.StorageIdentifier)
        {
            case "mcap":
                _fileName = name + "_0.mcap";
                _mcap = McapWriter.Create(Path.Combine(directory, _fileName), new McapWriterOptions
                {
                    Profile = "ros2",
                    Library = "mosaic rosbag2 writer",
                    Compression = options.McapCompression,
                    ChunkSize = options.McapChunkSize,
                });
                break;
            case "sqlite3":
                _fileName = name + "_0.db3";
                _sqlite = SqliteDatabase.Open(Path.Combine(directory, _fileName), readOnly: false);
                _sqlite.Execute(
                    "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;" +
                    "CREATE TABLE schema(schema_version INTEGER PRIMARY KEY, ros_distro TEXT NOT NULL);" +
                    "CREATE TABLE metadata(id INTEGER PRIMARY KEY, metadata_version INTEGER NOT NULL, metadata TEXT NOT NULL);" +
                    "CREATE TABLE topics(id INTEGER PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL, serialization_format TEXT NOT NULL," +
                    " offered_qos_profiles TEXT NOT NULL, type_description_hash TEXT NOT NULL);" +
                    "CREATE TABLE message_definitions(id INTEGER PRIMARY KEY, topic_type TEXT NOT NULL, encoding TEXT NOT NULL," +
                    " encoded_message_definition TEXT NOT NULL, type_description_hash TEXT NOT NULL);" +
                    "CREATE TABLE messages(id INTEGER PRIMARY KEY, topic_id INTEGER NOT NULL, timestamp INTEGER NOT NULL, data BLOB NOT NULL);" +
                    "CREATE INDEX timestamp_idx ON messages (timestamp ASC);");
                _sqlite.Run("INSERT INTO schema(schema_version, ros_distro) VALUES (4, ?)", options.RosDistro);
                _sqlite.Execute("BEGIN");
                _insertMessage = _sqlite.Prepare("INSERT INTO messages(topic_id, timestamp, data) VALUES (?, ?, ?)");
                break;
            default:
                throw new ArgumentException($"unknown storage '{options.StorageIdentifier}' (use mcap or sqlite3)");
        }
    }

    /// <summary>Creates the bag directory <paramref name="directory"/> (which must not exist yet) and starts writing.</summary>
    public static Rosbag2Writer Create(string directory, Rosbag2WriterOptions? options = null)
    {
        if (Directory.Exists(directory) || File.Exists(directory))
        {
            throw new IOException($"{directory}: already exists; a bag is never written over another");
        }
        Directory.CreateDirectory(directory);
        return new Rosbag2Writer(directory, options ?? new Rosbag2WriterOptions());
    }

    /// <summary>The storage file's path.</summary>
    public string FilePath => Path.Combine(_directory, _fileName);

    /// <summary>Declares a topic of a Mosaic message type.</summary>
    public void AddTopic<T>(string name, string offeredQosProfiles = "") where T : IRosMessage<T> =>
        AddTopic(new BagTopic(name, T.Definition.Name, "cdr", offeredQosProfiles), T.Definition.FullText());

    /// <summary>Declares a topic with its type's ros2msg definition text (empty when unknown).</summary>
    public void AddTopic(BagTopic topic, string definition)
    {
        if (_topics.ContainsKey(topic.Name))
        {
            throw new ArgumentException($"topic '{topic.Name}' is already declared");
        }
        int id;
        if (_mcap is not null)
        {
            if (!_mcapSchemas.TryGetValue(topic.Type, out ushort schemaId))
            {
                schemaId = _mcap.AddSchema(topic.Type, "ros2msg", Encoding.UTF8.GetBytes(definition));
                _mcapSchemas[topic.Type] = schemaId;
            }
            var metadata = new Dictionary<string, string> { ["offered_qos_profiles"] = topic.OfferedQosProfiles };
            if (topic.TypeDescriptionHash.Length > 0)
            {
                metadata["topic_type_hash"] = topic.TypeDescriptionHash;
            }
            id = _mcap.AddChannel(schemaId, topic.Name, topic.SerializationFormat, metadata);
        }
        else
        {
            id = _topics.Count + 1;
            _sqlite!.Run("INSERT INTO topics(id, name, type, serialization_format, offered_qos_profiles, type_description_hash) VALUES (?, ?, ?, ?, ?, ?)",
                id, topic.Name, topic.Type, topic.SerializationFormat, topic.OfferedQosProfiles, topic.TypeDescriptionHash);
            if (_sqliteDefinitions.Add(topic.Type))
            {
                _sqlite.Run("INSERT INTO message_definitions(topic_type, encoding, encoded_message_definition, type_description_hash) VALUES (?, 'ros2msg', ?, ?)",
                    topic.Type, definition, topic.TypeDescriptionHash);
            }
        }
        _topics[topic.Name] = (topic, id);
        _counts[topic.Name] = 0;
    }

    /// <summary>Writes a message object on a declared topic at receive time <paramref name="timestamp"/> (ns).</summary>
    public void Write(string topic, long timestamp, IRosMessage message) => Write(topic, timestamp, RosSerializer.Serialize(message));

    /// <summary>Writes serialized bytes (encapsulation header included) on a declared topic.</summary>
    public void Write(string topic, long timestamp, ReadOnlySpan<byte> data)
    {
        if (!_topics.TryGetValue(topic, out var entry))
        {
            throw new ArgumentException($"topic '{topic}' was not declared with AddTopic");
        }
        long sequence = _counts[topic]++;
        _start = Math.Min(_start, timestamp);
        _end = Math.Max(_end, timestamp);
        if (_mcap is not null)
        {
            _mcap.WriteMessage((ushort)entry.Id, (uint)sequence, (ulong)timestamp, (ulong)timestamp, data);
        }
        else
        {
            // One prepared statement for all messages; the blob is bound straight from the caller's span.
            SQLitePCL.raw.sqlite3_bind_int64(_insertMessage, 1, entry.Id);
            SQLitePCL.raw.sqlite3_bind_int64(_insertMessage, 2, timestamp);
            SQLitePCL.raw.sqlite3_bind_blob(_insertMessage, 3, data);
            _sqlite!.StepAndReset(_insertMessage!, "inserting a message");
            if (++_pendingInTransaction >= 1000)
            {
                _sqlite.Execute("COMMIT; BEGIN");
                _pendingInTransaction = 0;
            }
        }
    }

    /// <summary>Finishes the storage file and writes metadata.yaml.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        long count = _counts.Values.Sum();
        var metadata = new BagMetadata(9, _options.StorageIdentifier, [_fileName],
            count > 0 ? _start : 0, count > 0 ? _end - _start : 0, count,
            _topics.Values.OrderBy(t => t.Id).Select(t => new BagMetadataTopic(t.Topic, _counts[t.Topic.Name])).ToList(),
            RosDistro: _options.RosDistro);
        if (_mcap is not null)
        {
            _mcap.Dispose();
        }
        else
        {
            _insertMessage!.Dispose();
            _sqlite!.Execute("COMMIT");
            _sqlite.Dispose();
        }
        metadata.Save(Path.Combine(_directory, BagMetadata.FileName));
    }
}
