using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Sbuild.Core.Metadata;

/// <summary>One build-cache entry: <paramref name="Result"/> is JSON; times are Unix milliseconds; <paramref name="Uses"/> counts the store and each hit.</summary>
public sealed record CacheRecord(string Key, string Result, long Created, long LastUsed, long Size, string Description = "", long Uses = 1);

/// <summary>
/// What identifies one version of a file without reading it: where it lives (device, inode), its size, mode and
/// both times in nanoseconds. ctime counts because no user call can set it, so a rewrite always changes it.
/// </summary>
public readonly record struct FileIdentity(long Device, long Inode, long Size, long MTimeNs, long CTimeNs, long Mode)
{
    public static FileIdentity Of(Posix.FileStat st) =>
        new((long)st.Device, (long)st.Inode, st.Size, st.MTimeNs, st.CTimeNs, st.Mode);
}

/// <summary>A stat-cache row: the content digest of <paramref name="Path"/> (relative to its root) while it has <paramref name="Identity"/>.</summary>
public readonly record struct FileDigestRecord(string Path, FileIdentity Identity, string Digest);

/// <summary>
/// The store's metadata database, <c>STORE_ROOT/metadata.db</c> (SQLite): the build cache index, the context stat
/// cache, build records (<see cref="PutBuild"/>), and whatever later migrations add. WAL journal plus a busy timeout let several sbuild processes share one
/// store; within a process, one connection is shared and every call holds a lock, so an instance may be used from
/// any thread. Opening migrates the schema (see <see cref="StoreMigrations"/>) and refuses a newer one.
/// </summary>
public sealed partial class StoreDatabase : IDisposable
{
    public const string FileName = "metadata.db";
    /// <summary>How long a call waits for another process's write lock before failing.</summary>
    public static readonly TimeSpan BusyTimeout = SqliteFile.BusyTimeout;

    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();
    private readonly TimeProvider _clock;

    private StoreDatabase(string path, TimeProvider clock)
    {
        Path = path;
        _clock = clock;
        _connection = SqliteFile.Open(path, StoreMigrations.Scripts, "store's metadata database");
        JournalMode = Scalar<string>("PRAGMA journal_mode") ?? "";
    }

    /// <summary>Opens (creating and migrating if needed) <c>metadata.db</c> of the store at <paramref name="storeRoot"/>.</summary>
    public static StoreDatabase Open(string storeRoot, TimeProvider? clock = null)
    {
        Directory.CreateDirectory(storeRoot);
        return OpenFile(System.IO.Path.Combine(storeRoot, FileName), clock);
    }

    /// <summary>Opens the database file at <paramref name="path"/> itself.</summary>
    public static StoreDatabase OpenFile(string path, TimeProvider? clock = null) => new(path, clock ?? TimeProvider.System);

    public string Path { get; }

    /// <summary>The journal mode SQLite reports ("wal" unless the file system cannot do it).</summary>
    public string JournalMode { get; }

    /// <summary>The schema version (<c>PRAGMA user_version</c>).</summary>
    public int SchemaVersion
    {
        get { lock (_lock) return SqliteFile.Version(_connection); }
    }

    public void Dispose()
    {
        lock (_lock) _connection.Dispose();
    }

    // ---- build cache ----

    /// <summary>The record of <paramref name="key"/>, marking it used now; null when there is none.</summary>
    public CacheRecord? TryGetCacheRecord(string key)
    {
        lock (_lock)
        {
            var now = Now();
            using var cmd = Command("UPDATE cache_records SET last_used = $now, uses = uses + 1 WHERE key = $key RETURNING result, created, size, description, uses", ("$key", key), ("$now", now));
            using var reader = cmd.ExecuteReader();
            if (!reader.Read()) return null;
            var record = new CacheRecord(key, reader.GetString(0), reader.GetInt64(1), now, reader.GetInt64(2), reader.GetString(3), reader.GetInt64(4));
            // Step the statement to its end (keys are unique: no second row). A write that ends in a reset instead
            // commits without calling SQLite's WAL hook, which runs the automatic checkpoint; a no-op rebuild writes
            // nothing else, so its WAL grew without bound and every open read all of it again.
            reader.Read();
            return record;
        }
    }

    /// <summary>Stores (or replaces) the record of <paramref name="key"/>; a replaced record keeps its creation time.</summary>
    public void PutCacheRecord(string key, string resultJson, long size, string description = "")
    {
        lock (_lock)
        {
            var now = Now();
            using var cmd = Command("""
                INSERT INTO cache_records(key, result, created, last_used, size, description) VALUES ($key, $result, $now, $now, $size, $description)
                ON CONFLICT(key) DO UPDATE SET result = excluded.result, last_used = excluded.last_used, size = excluded.size, description = excluded.description
                """, ("$key", key), ("$result", resultJson), ("$now", now), ("$size", size), ("$description", description));
            cmd.ExecuteNonQuery();
        }
    }

    public IReadOnlyList<CacheRecord> ListCacheRecords()
    {
        lock (_lock)
        {
            using var cmd = Command("SELECT key, result, created, last_used, size, description, uses FROM cache_records ORDER BY key");
            using var reader = cmd.ExecuteReader();
            var records = new List<CacheRecord>();
            while (reader.Read())
                records.Add(new CacheRecord(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetString(5), reader.GetInt64(6)));
            return records;
        }
    }

    /// <summary>The total size of the cache records, in bytes.</summary>
    public long CacheSize()
    {
        lock (_lock)
        {
            using var cmd = Command("SELECT coalesce(sum(size), 0) FROM cache_records");
            return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Removes the record of <paramref name="key"/>; false when there was none.</summary>
    public bool DeleteCacheRecord(string key)
    {
        lock (_lock)
        {
            using var cmd = Command("DELETE FROM cache_records WHERE key = $key", ("$key", key));
            return cmd.ExecuteNonQuery() > 0;
        }
    }

    // ---- context stat cache ----

    /// <summary>The stored rows for <paramref name="paths"/> under <paramref name="root"/>, in the same order (null: no row), read in one snapshot.</summary>
    public FileDigestRecord?[] GetFileDigests(string root, IReadOnlyList<string> paths)
    {
        var found = new FileDigestRecord?[paths.Count];
        if (paths.Count == 0) return found;
        lock (_lock)
        {
            using var tx = _connection.BeginTransaction(deferred: true);
            using var cmd = Command("SELECT path, dev, ino, size, mtime_ns, ctime_ns, mode, digest FROM file_digests WHERE root = $root AND path = $path",
                ("$root", root), ("$path", ""));
            cmd.Transaction = tx;
            var pathParameter = cmd.Parameters["$path"];
            cmd.Prepare();
            for (var i = 0; i < paths.Count; i++)
            {
                pathParameter.Value = paths[i];
                using var reader = cmd.ExecuteReader();
                if (reader.Read()) found[i] = ReadFileDigest(reader);
            }
            tx.Commit();
        }
        return found;
    }

    /// <summary>Every stored row under <paramref name="root"/>, by path, in one scan (far cheaper per row than a query
    /// per path when a COPY reads a whole context); stops early, returning what it has, once <paramref name="stop"/>
    /// is cancelled.</summary>
    public Dictionary<string, FileDigestRecord> ListFileDigests(string root, CancellationToken stop = default)
    {
        var rows = new Dictionary<string, FileDigestRecord>(StringComparer.Ordinal);
        lock (_lock)
        {
            using var tx = _connection.BeginTransaction(deferred: true);
            using var cmd = Command("SELECT path, dev, ino, size, mtime_ns, ctime_ns, mode, digest FROM file_digests WHERE root = $root", ("$root", root));
            cmd.Transaction = tx;
            using var reader = cmd.ExecuteReader();
            while (!stop.IsCancellationRequested && reader.Read())
            {
                var row = ReadFileDigest(reader);
                rows[row.Path] = row;
            }
        }
        return rows;
    }

    private static FileDigestRecord ReadFileDigest(SqliteDataReader reader) =>
        new(reader.GetString(0),
            new FileIdentity(reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6)),
            reader.GetString(7));

    /// <summary>Stores (or replaces) <paramref name="records"/> under <paramref name="root"/> in one transaction.</summary>
    public void PutFileDigests(string root, IReadOnlyCollection<FileDigestRecord> records)
    {
        if (records.Count == 0) return;
        lock (_lock)
        {
            using var tx = _connection.BeginTransaction(deferred: false);
            using var cmd = Command("""
                INSERT OR REPLACE INTO file_digests(root, path, dev, ino, size, mtime_ns, ctime_ns, mode, digest)
                VALUES ($root, $path, $dev, $ino, $size, $mtime, $ctime, $mode, $digest)
                """, ("$root", root), ("$path", ""), ("$dev", 0L), ("$ino", 0L), ("$size", 0L), ("$mtime", 0L), ("$ctime", 0L), ("$mode", 0L), ("$digest", ""));
            cmd.Transaction = tx;
            cmd.Prepare();
            var p = cmd.Parameters;
            foreach (var r in records)
            {
                p["$path"].Value = r.Path;
                p["$dev"].Value = r.Identity.Device;
                p["$ino"].Value = r.Identity.Inode;
                p["$size"].Value = r.Identity.Size;
                p["$mtime"].Value = r.Identity.MTimeNs;
                p["$ctime"].Value = r.Identity.CTimeNs;
                p["$mode"].Value = r.Identity.Mode;
                p["$digest"].Value = r.Digest;
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    /// <summary>Removes the rows of <paramref name="root"/> (a context that is gone); returns how many.</summary>
    public int DeleteFileDigests(string root)
    {
        lock (_lock)
        {
            using var cmd = Command("DELETE FROM file_digests WHERE root = $root", ("$root", root));
            return cmd.ExecuteNonQuery();
        }
    }

    /// <summary>How many stat-cache rows <paramref name="root"/> has.</summary>
    public long CountFileDigests(string root)
    {
        lock (_lock)
        {
            using var cmd = Command("SELECT count(*) FROM file_digests WHERE root = $root", ("$root", root));
            return (long)cmd.ExecuteScalar()!;
        }
    }

    // ---- helpers (callers hold the lock, or run in the constructor) ----

    private long Now() => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private SqliteCommand Command(string sql, params (string Name, object Value)[] parameters)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return cmd;
    }

    private T? Scalar<T>(string sql)
    {
        using var cmd = Command(sql);
        var value = cmd.ExecuteScalar();
        return value is null or DBNull ? default : (T)Convert.ChangeType(value, typeof(T), CultureInfo.InvariantCulture);
    }
}
