using SQLitePCL;

namespace Mosaic.Ros.Bags;

/// <summary>
/// Reads a rosbag2 sqlite3 file, schema v1 (2018, no serialization_format column) to v4
/// (Jazzy, message_definitions). The recording is never modified: a file with a non-empty journal is
/// read from a temporary copy, and a bag still being recorded reads up to its last committed message.
/// </summary>
internal sealed class SqliteStorage : IBagStorage
{
    private readonly SqliteDatabase _db;
    private readonly string? _temporaryDirectory;
    private readonly Dictionary<long, BagTopic> _topicsById = new();
    private readonly List<BagMessageDefinition> _definitions = new();
    private readonly List<string> _warnings = new();

    private SqliteStorage(string path, SqliteDatabase db, string? temporaryDirectory)
    {
        FilePath = path;
        _db = db;
        _temporaryDirectory = temporaryDirectory;
    }

    public string FilePath { get; }

    public string StorageIdentifier => "sqlite3";

    public IReadOnlyList<BagTopic> Topics => _topicsById.Values.ToList();

    public IReadOnlyList<BagMessageDefinition> Definitions => _definitions;

    public IReadOnlyList<string> Warnings => _warnings;

    public BagMetadata? EmbeddedMetadata { get; private set; }

    public static SqliteStorage Open(string path)
    {
        // A journal with content (a WAL not yet checkpointed, or the rollback journal of an interrupted
        // transaction) is applied to a temporary copy: sqlite would otherwise write beside the recording.
        string? journal = new[] { path + "-wal", path + "-journal" }.FirstOrDefault(j => new FileInfo(j) is { Exists: true, Length: > 0 });
        string? temporary = null;
        string openPath = path;
        if (journal is not null)
        {
            temporary = Directory.CreateTempSubdirectory("mosaic-bag-").FullName;
            openPath = Path.Combine(temporary, Path.GetFileName(path));
            File.Copy(path, openPath);
            File.Copy(journal, openPath + journal[path.Length..]);
        }
        SqliteDatabase db;
        try
        {
            // A WAL-mode file with an empty journal is opened immutable, because even a read-only WAL
            // connection creates -shm/-wal files. A rollback-journal file (rosbag2's default) is opened
            // read-only with locking, so a bag that is still being recorded reads its committed messages.
            db = temporary is not null ? SqliteDatabase.Open(openPath, readOnly: false)
                : SqliteDatabase.Open(openPath, readOnly: true, immutable: IsWalMode(path));
        }
        catch
        {
            if (temporary is not null) Directory.Delete(temporary, recursive: true);
            throw;
        }
        var storage = new SqliteStorage(path, db, temporary);
        try
        {
            storage.ReadSchema();
            return storage;
        }
        catch (Exception e) when (e is not BagFormatException)
        {
            storage.Dispose();
            throw new BagFormatException(path, "not a rosbag2 sqlite3 file: " + e.Message, e);
        }
        catch
        {
            storage.Dispose();
            throw;
        }
    }

    // Bytes 18 and 19 of the database header are the file format versions: 2 means WAL mode.
    private static bool IsWalMode(string path)
    {
        Span<byte> header = stackalloc byte[20];
        using var stream = File.OpenRead(path);
        return stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) == header.Length && header[18] == 2;
    }

    private void ReadSchema()
    {
        if (!_db.HasTable("topics") || !_db.HasTable("messages"))
        {
            throw new BagFormatException(FilePath, "sqlite3 file has no rosbag2 'topics'/'messages' tables");
        }
        // Schema versions differ in which topics columns exist (v1 lacks serialization_format, v2 adds
        // offered_qos_profiles, v4 type_description_hash), so read whichever are present.
        var columns = _db.Columns("topics");
        string format = columns.Contains("serialization_format") ? "serialization_format" : "'cdr'";
        string qos = columns.Contains("offered_qos_profiles") ? "offered_qos_profiles" : "''";
        string hash = columns.Contains("type_description_hash") ? "type_description_hash" : "''";
        _db.Query($"SELECT id, name, type, {format}, {qos}, {hash} FROM topics ORDER BY id", s =>
            _topicsById[raw.sqlite3_column_int64(s, 0)] = new BagTopic(
                SqliteDatabase.Text(s, 1), SqliteDatabase.Text(s, 2), SqliteDatabase.Text(s, 3),
                SqliteDatabase.Text(s, 4), SqliteDatabase.Text(s, 5)));
        if (_db.HasTable("metadata"))
        {
            // rosbag2 (schema v3 and later) appends a row whenever the bag's metadata changes; the last is current.
            string? yaml = null;
            _db.Query("SELECT metadata FROM metadata ORDER BY id DESC LIMIT 1", s => yaml = SqliteDatabase.Text(s, 0));
            if (!string.IsNullOrEmpty(yaml))
            {
                try
                {
                    EmbeddedMetadata = BagMetadata.Parse(yaml, FilePath, embedded: true);
                }
                catch (BagFormatException e)
                {
                    _warnings.Add($"the embedded rosbag2 metadata is unreadable and ignored: {e.Problem}");
                }
            }
        }
        if (_db.HasTable("message_definitions"))
        {
            _db.Query("SELECT topic_type, encoding, encoded_message_definition FROM message_definitions", s =>
                _definitions.Add(new BagMessageDefinition(SqliteDatabase.Text(s, 0), SqliteDatabase.Text(s, 1), SqliteDatabase.Text(s, 2))));
        }
    }

    public IReadOnlyDictionary<string, BagTopicStatistics> Statistics()
    {
        var result = new Dictionary<string, BagTopicStatistics>();
        _db.Query("SELECT topic_id, count(*), min(timestamp), max(timestamp) FROM messages GROUP BY topic_id", s =>
        {
            long id = raw.sqlite3_column_int64(s, 0);
            string name = _topicsById.TryGetValue(id, out var topic) ? topic.Name : $"<unknown topic id {id}>";
            result[name] = new BagTopicStatistics(raw.sqlite3_column_int64(s, 1), raw.sqlite3_column_int64(s, 2), raw.sqlite3_column_int64(s, 3));
        });
        return result;
    }

    public IEnumerable<BagMessage> Read(IReadOnlySet<string>? topics, long start, long end)
    {
        var ids = _topicsById.Where(t => topics is null || topics.Contains(t.Value.Name)).Select(t => t.Key).ToList();
        if (ids.Count == 0)
        {
            yield break;
        }
        string filter = topics is null ? "" : $" AND topic_id IN ({string.Join(",", ids)})";
        using var statement = _db.Prepare(
            $"SELECT topic_id, timestamp, data FROM messages WHERE timestamp >= ? AND timestamp <= ?{filter} ORDER BY timestamp, id", start, end);
        int rc;
        while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
        {
            long id = raw.sqlite3_column_int64(statement, 0);
            if (!_topicsById.TryGetValue(id, out var topic))
            {
                _warnings.Add($"message with unknown topic id {id} skipped");
                continue;
            }
            long timestamp = raw.sqlite3_column_int64(statement, 1);
            byte[] data = raw.sqlite3_column_blob(statement, 2).ToArray();
            yield return new BagMessage(topic, timestamp, data);
        }
        _db.Check(rc, "reading messages");
    }

    public void Dispose()
    {
        _db.Dispose();
        if (_temporaryDirectory is not null)
        {
            try
            {
                Directory.Delete(_temporaryDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp copy is harmless; the original bag is untouched either way.
            }
        }
    }
}
