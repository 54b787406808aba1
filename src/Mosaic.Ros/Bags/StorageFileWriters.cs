using System.Text;
using Mosaic.Ros.Mcap;

namespace Mosaic.Ros.Bags;

/// <summary>One storage file of a bag being written; <see cref="Rosbag2Writer"/> starts a new one at each split.</summary>
internal interface IStorageFileWriter : IDisposable
{
    /// <summary>Bytes the file holds so far (what a split by size compares).</summary>
    long Length { get; }

    /// <summary>Declares a topic in this file with its type's definition (encoding e.g. <c>ros2msg</c>).</summary>
    void AddTopic(BagTopic topic, BagMessageDefinition definition);

    /// <summary>Writes one message of a declared topic.</summary>
    void Write(string topic, long sequence, long timestamp, ReadOnlySpan<byte> data);

    /// <summary>Stores the bag's metadata inside the file, as rosbag2 does, and closes it.</summary>
    void Finish(BagMetadata metadata);
}

/// <summary>An MCAP file in rosbag2's layout: profile ros2, ros2msg schemas, channel QoS metadata, a <c>rosbag2</c> metadata record.</summary>
internal sealed class McapFileWriter : IStorageFileWriter
{
    private readonly McapWriter _mcap;
    private readonly Dictionary<string, ushort> _schemas = new();
    private readonly Dictionary<string, ushort> _channels = new();

    public McapFileWriter(string path, Rosbag2WriterOptions options)
    {
        _mcap = McapWriter.Create(path, new McapWriterOptions
        {
            Profile = "ros2",
            Library = "mosaic rosbag2 writer",
            Compression = options.McapCompression,
            // A split by size happens between chunks; smaller chunks make the files end near the size.
            ChunkSize = options.MaxFileSize > 0 ? (int)Math.Min(options.McapChunkSize, Math.Max(1024, options.MaxFileSize / 4)) : options.McapChunkSize,
        });
    }

    public long Length => _mcap.Length;

    public void AddTopic(BagTopic topic, BagMessageDefinition definition)
    {
        if (!_schemas.TryGetValue(topic.Type, out ushort schemaId))
        {
            schemaId = _mcap.AddSchema(topic.Type, definition.Encoding, Encoding.UTF8.GetBytes(definition.Text));
            _schemas[topic.Type] = schemaId;
        }
        var metadata = new Dictionary<string, string> { ["offered_qos_profiles"] = topic.OfferedQosProfiles };
        if (topic.TypeDescriptionHash.Length > 0)
        {
            metadata["topic_type_hash"] = topic.TypeDescriptionHash;
        }
        _channels[topic.Name] = _mcap.AddChannel(schemaId, topic.Name, topic.SerializationFormat, metadata);
    }

    public void Write(string topic, long sequence, long timestamp, ReadOnlySpan<byte> data) =>
        _mcap.WriteMessage(_channels[topic], unchecked((uint)sequence), (ulong)timestamp, (ulong)timestamp, data);

    public void Finish(BagMetadata metadata)
    {
        _mcap.AddMetadata("rosbag2", new Dictionary<string, string> { ["serialized_metadata"] = metadata.ToYaml(embedded: true) });
        _mcap.Dispose();
    }

    public void Dispose() => _mcap.Dispose();
}

/// <summary>An sqlite3 file in rosbag2's schema v4, with message_definitions and the bag's metadata in table <c>metadata</c>.</summary>
internal sealed class SqliteFileWriter : IStorageFileWriter
{
    private const int MessagesPerTransaction = 1000;
    private readonly string _path;
    private readonly SqliteDatabase _sqlite;
    private readonly SQLitePCL.sqlite3_stmt _insertMessage;
    private readonly Dictionary<string, int> _topicIds = new();
    private readonly HashSet<string> _definitions = new();
    private long _pendingInTransaction, _pendingBytes, _committedLength;
    private bool _closed;

    public SqliteFileWriter(string path, Rosbag2WriterOptions options)
    {
        _path = path;
        _sqlite = SqliteDatabase.Open(path, readOnly: false);
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
    }

    // The size at the last commit (a stat per commit, not per message) plus the payloads of the open transaction,
    // which may hold up to 1000 camera images: without them a split would come hundreds of MiB late.
    public long Length => _committedLength + _pendingBytes;

    public void AddTopic(BagTopic topic, BagMessageDefinition definition)
    {
        int id = _topicIds.Count + 1;
        _sqlite.Run("INSERT INTO topics(id, name, type, serialization_format, offered_qos_profiles, type_description_hash) VALUES (?, ?, ?, ?, ?, ?)",
            id, topic.Name, topic.Type, topic.SerializationFormat, topic.OfferedQosProfiles, topic.TypeDescriptionHash);
        if (_definitions.Add(topic.Type))
        {
            _sqlite.Run("INSERT INTO message_definitions(topic_type, encoding, encoded_message_definition, type_description_hash) VALUES (?, ?, ?, ?)",
                topic.Type, definition.Encoding, definition.Text, topic.TypeDescriptionHash);
        }
        _topicIds[topic.Name] = id;
    }

    public void Write(string topic, long sequence, long timestamp, ReadOnlySpan<byte> data)
    {
        // One prepared statement for all messages; the blob is bound straight from the caller's span.
        SQLitePCL.raw.sqlite3_bind_int64(_insertMessage, 1, _topicIds[topic]);
        SQLitePCL.raw.sqlite3_bind_int64(_insertMessage, 2, timestamp);
        SQLitePCL.raw.sqlite3_bind_blob(_insertMessage, 3, data);
        _sqlite.StepAndReset(_insertMessage, "inserting a message");
        _pendingBytes += data.Length;
        if (++_pendingInTransaction >= MessagesPerTransaction)
        {
            _sqlite.Execute("COMMIT; BEGIN");
            _pendingInTransaction = 0;
            _pendingBytes = 0;
            _committedLength = new FileInfo(_path).Length;
        }
    }

    public void Finish(BagMetadata metadata)
    {
        _sqlite.Run("INSERT INTO metadata(metadata_version, metadata) VALUES (?, ?)", (long)metadata.Version, metadata.ToYaml(embedded: true));
        Dispose();
    }

    public void Dispose()
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        _insertMessage.Dispose();
        _sqlite.Execute("COMMIT");
        _sqlite.Dispose();
    }
}
