using SQLitePCL;

namespace Mosaic.Ros.Bags;

/// <summary>A thin, checked wrapper over SQLitePCLRaw's raw API: open, execute, query rows.</summary>
internal sealed class SqliteDatabase : IDisposable
{
    private static readonly object InitLock = new();
    private static bool _initialized;
    private readonly sqlite3 _db;

    private SqliteDatabase(sqlite3 db, string path)
    {
        _db = db;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Opens <paramref name="path"/>; <paramref name="immutable"/> read-only files take no locks and must not change while open.</summary>
    public static SqliteDatabase Open(string path, bool readOnly, bool immutable = false)
    {
        lock (InitLock)
        {
            if (!_initialized)
            {
                Batteries_V2.Init();
                _initialized = true;
            }
        }
        string uri = new Uri(System.IO.Path.GetFullPath(path)).AbsoluteUri + (readOnly ? (immutable ? "?mode=ro&immutable=1" : "?mode=ro") : "");
        int flags = (readOnly ? raw.SQLITE_OPEN_READONLY : raw.SQLITE_OPEN_READWRITE | raw.SQLITE_OPEN_CREATE) | raw.SQLITE_OPEN_URI;
        int rc = raw.sqlite3_open_v2(uri, out var db, flags, null);
        if (rc != raw.SQLITE_OK)
        {
            string message = db is null ? $"error {rc}" : raw.sqlite3_errmsg(db).utf8_to_string();
            db?.Dispose();
            throw new BagFormatException(path, $"cannot open as sqlite3: {message}");
        }
        var database = new SqliteDatabase(db, path);
        // Fails here, not later, when the file is not a database at all.
        database.Query("SELECT count(*) FROM sqlite_master", _ => { });
        return database;
    }

    public void Execute(string sql)
    {
        Check(raw.sqlite3_exec(_db, sql), sql);
    }

    /// <summary>Runs <paramref name="sql"/> with positional parameters, calling <paramref name="row"/> for each result row.</summary>
    public void Query(string sql, Action<sqlite3_stmt> row, params object[] parameters)
    {
        Check(raw.sqlite3_prepare_v2(_db, sql, out var statement), sql);
        using (statement)
        {
            Bind(statement, parameters);
            int rc;
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                row(statement);
            }
            if (rc != raw.SQLITE_DONE)
            {
                Check(rc, sql);
            }
        }
    }

    /// <summary>Prepares a statement the caller steps itself (for streaming large result sets).</summary>
    public sqlite3_stmt Prepare(string sql, params object[] parameters)
    {
        Check(raw.sqlite3_prepare_v2(_db, sql, out var statement), sql);
        Bind(statement, parameters);
        return statement;
    }

    /// <summary>Runs a prepared statement that returns no rows once, then resets it for the next bindings.</summary>
    public void StepAndReset(sqlite3_stmt statement, string what)
    {
        int rc = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        Check(rc, what);
    }

    /// <summary>Runs a statement that returns no rows.</summary>
    public void Run(string sql, params object[] parameters) => Query(sql, _ => { }, parameters);

    public bool HasTable(string table)
    {
        bool found = false;
        Query("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", _ => found = true, table);
        return found;
    }

    public HashSet<string> Columns(string table)
    {
        var columns = new HashSet<string>();
        Query($"PRAGMA table_info({table})", s => columns.Add(raw.sqlite3_column_text(s, 1).utf8_to_string()));
        return columns;
    }

    public void Check(int rc, string what)
    {
        if (rc != raw.SQLITE_OK && rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
        {
            throw new BagFormatException(Path, $"sqlite3 error {rc} ({raw.sqlite3_errmsg(_db).utf8_to_string()}) in: {what}");
        }
    }

    public static string Text(sqlite3_stmt statement, int column) =>
        raw.sqlite3_column_type(statement, column) == raw.SQLITE_NULL ? "" : raw.sqlite3_column_text(statement, column).utf8_to_string();

    public void Dispose() => _db.Dispose();

    private static void Bind(sqlite3_stmt statement, object[] parameters)
    {
        for (int i = 0; i < parameters.Length; i++)
        {
            int rc = parameters[i] switch
            {
                long v => raw.sqlite3_bind_int64(statement, i + 1, v),
                int v => raw.sqlite3_bind_int64(statement, i + 1, v),
                string v => raw.sqlite3_bind_text(statement, i + 1, v),
                byte[] v => raw.sqlite3_bind_blob(statement, i + 1, v),
                ReadOnlyMemory<byte> v => raw.sqlite3_bind_blob(statement, i + 1, v.Span),
                null => raw.sqlite3_bind_null(statement, i + 1),
                var other => throw new ArgumentException($"cannot bind {other.GetType()}"),
            };
            if (rc != raw.SQLITE_OK)
            {
                throw new InvalidOperationException($"sqlite3 bind failed ({rc})");
            }
        }
    }
}
