using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Sbuild.Core;
using Sbuild.Core.Metadata;

namespace Sbuild.Snapshotter;

/// <summary>One snapshot as stored: its directory id, kind and parent name.</summary>
internal sealed record SnapshotRecord(long Id, SnapshotKind Kind, string? Parent, DateTimeOffset Created);

/// <summary>The catalog's content: every snapshot by key, and the next directory id to hand out.</summary>
internal sealed class CatalogContent
{
    public long NextId { get; set; } = 1;
    public SortedDictionary<string, SnapshotRecord> Snapshots { get; set; } = new(StringComparer.Ordinal);

    public SnapshotRecord Get(string key) => Snapshots.GetValueOrDefault(key) ?? throw new SnapshotNotFoundException(key);

    public bool HasChildren(string name) => Snapshots.Values.Any(s => s.Parent == name);
}

/// <summary>The JSON file older sbuild versions kept the catalog in; read once to move it into the database.</summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CatalogContent))]
internal sealed partial class LegacyCatalogJsonContext : JsonSerializerContext;

/// <summary>
/// The snapshot metadata of one snapshotter root, in its own SQLite file <c>ROOT/catalog.db</c> (as containerd's
/// snapshotters keep a metadata.db each): snapshots, their kinds and parents, and the next directory id. Reads see one
/// consistent state; an update is one IMMEDIATE transaction, which serializes threads and processes alike. Unlike the
/// JSON file it replaces, a change writes only its own rows and syncs nothing (WAL, <c>synchronous = NORMAL</c>): a
/// crash may lose the last changes, which leaves directories the catalog does not name, and those are removed as
/// orphans.
/// </summary>
internal sealed class SnapshotCatalog : IDisposable
{
    public const string FileName = "catalog.db";
    private const string LegacyFileName = "catalog.json", LegacyLockName = "catalog.lock";

    private static readonly IReadOnlyList<string> Migrations =
    [
        // 1: snapshots by key; created is UTC ticks; next_id has one row.
        """
        CREATE TABLE snapshots (
            key     TEXT PRIMARY KEY,
            id      INTEGER NOT NULL UNIQUE,
            kind    TEXT NOT NULL,
            parent  TEXT,
            created INTEGER NOT NULL
        );
        CREATE INDEX snapshots_parent ON snapshots(parent);
        CREATE TABLE next_id (value INTEGER NOT NULL);
        INSERT INTO next_id(value) VALUES (1);
        """,
    ];

    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();

    public SnapshotCatalog(string root)
    {
        _connection = SqliteFile.Open(Path.Combine(root, FileName), Migrations, "snapshot catalog");
        try
        {
            ImportLegacyFile(root);
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        lock (_lock) _connection.Dispose();
    }

    public CatalogContent Read()
    {
        lock (_lock)
        {
            using var tx = _connection.BeginTransaction(deferred: true);
            return Load(tx);
        }
    }

    /// <summary>Snapshot <paramref name="key"/> and its ancestors, nearest first, in one query (no load of every row: a
    /// store with thousands of snapshots asks this for every mount); throws when the snapshot is not there. The depth
    /// bound only ends the walk of a damaged catalog whose parents form a cycle, which no update here can make.</summary>
    public IReadOnlyList<SnapshotRecord> Chain(string key)
    {
        lock (_lock)
        {
            using var tx = _connection.BeginTransaction(deferred: true);
            using var cmd = Command(tx, """
                WITH RECURSIVE chain(key, id, kind, parent, created, depth) AS (
                    SELECT key, id, kind, parent, created, 0 FROM snapshots WHERE key = $key
                    UNION ALL
                    SELECT s.key, s.id, s.kind, s.parent, s.created, chain.depth + 1 FROM snapshots s JOIN chain ON s.key = chain.parent WHERE chain.depth < 4096)
                SELECT key, id, kind, parent, created FROM chain ORDER BY depth
                """, ("$key", key));
            using var reader = cmd.ExecuteReader();
            var chain = new List<SnapshotRecord>();
            while (reader.Read()) chain.Add(ReadRecord(reader).Record);
            if (chain.Count == 0) throw new SnapshotNotFoundException(key);
            if (chain[^1].Parent is { } missing)
                throw new SbuildException(ErrorCode.StoreCorrupt, $"snapshot catalog names missing parent snapshot \"{missing}\"");
            return chain;
        }
    }

    /// <summary>Snapshot <paramref name="key"/>, or null.</summary>
    public SnapshotRecord? Find(string key)
    {
        lock (_lock)
        {
            using var tx = _connection.BeginTransaction(deferred: true);
            using var cmd = Command(tx, "SELECT key, id, kind, parent, created FROM snapshots WHERE key = $key", ("$key", key));
            using var reader = cmd.ExecuteReader();
            return reader.Read() ? ReadRecord(reader).Record : null;
        }
    }

    /// <summary>Runs <paramref name="change"/> on the current content in one write transaction and saves what it leaves;
    /// an exception saves nothing.</summary>
    public T Update<T>(Func<CatalogContent, T> change)
    {
        lock (_lock)
        {
            using var tx = _connection.BeginTransaction(deferred: false);
            var content = Load(tx);
            var before = new Dictionary<string, SnapshotRecord>(content.Snapshots, StringComparer.Ordinal);
            var nextId = content.NextId;
            var result = change(content);
            Save(tx, before, nextId, content);
            tx.Commit();
            return result;
        }
    }

    /// <summary>Runs <paramref name="action"/> on the current content holding the write lock, so no update happens
    /// meanwhile; nothing is saved.</summary>
    public void Inspect(Action<CatalogContent> action)
    {
        lock (_lock)
        {
            using var tx = _connection.BeginTransaction(deferred: false);
            action(Load(tx));
        }
    }

    private CatalogContent Load(SqliteTransaction tx)
    {
        var content = new CatalogContent();
        using (var cmd = Command(tx, "SELECT value FROM next_id"))
            content.NextId = (long)cmd.ExecuteScalar()!;
        using (var cmd = Command(tx, "SELECT key, id, kind, parent, created FROM snapshots"))
        using (var reader = cmd.ExecuteReader())
        {
            while (reader.Read())
            {
                var (key, record) = ReadRecord(reader);
                content.Snapshots[key] = record;
            }
        }
        return content;
    }

    /// <summary>A row of <c>SELECT key, id, kind, parent, created</c>.</summary>
    private (string Key, SnapshotRecord Record) ReadRecord(SqliteDataReader reader)
    {
        var kind = Enum.TryParse<SnapshotKind>(reader.GetString(2), out var parsed)
            ? parsed
            : throw new SbuildException(ErrorCode.StoreCorrupt, $"snapshot catalog {_connection.DataSource}: snapshot \"{reader.GetString(0)}\" has unknown kind \"{reader.GetString(2)}\"");
        return (reader.GetString(0), new SnapshotRecord(reader.GetInt64(1), kind,
            reader.IsDBNull(3) ? null : reader.GetString(3), new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero)));
    }

    /// <summary>Writes the rows that differ between <paramref name="before"/> and <paramref name="after"/>.</summary>
    private void Save(SqliteTransaction tx, Dictionary<string, SnapshotRecord> before, long nextIdBefore, CatalogContent after)
    {
        foreach (var key in before.Keys.Where(key => !after.Snapshots.ContainsKey(key)))
        {
            using var delete = Command(tx, "DELETE FROM snapshots WHERE key = $key", ("$key", key));
            delete.ExecuteNonQuery();
        }
        foreach (var (key, record) in after.Snapshots)
        {
            if (before.TryGetValue(key, out var old) && old == record) continue;
            using var upsert = Command(tx, "INSERT OR REPLACE INTO snapshots(key, id, kind, parent, created) VALUES ($key, $id, $kind, $parent, $created)",
                ("$key", key), ("$id", record.Id), ("$kind", record.Kind.ToString()), ("$parent", (object?)record.Parent ?? DBNull.Value),
                ("$created", record.Created.UtcTicks));
            upsert.ExecuteNonQuery();
        }
        if (after.NextId != nextIdBefore)
        {
            using var next = Command(tx, "UPDATE next_id SET value = $value", ("$value", after.NextId));
            next.ExecuteNonQuery();
        }
    }

    /// <summary>Moves a <c>catalog.json</c> written by an older sbuild into an empty database, then deletes it; of two
    /// processes doing this at once the second finds the rows there and only deletes the file.</summary>
    private void ImportLegacyFile(string root)
    {
        var legacy = Path.Combine(root, LegacyFileName);
        if (!File.Exists(legacy)) return;
        CatalogContent? old;
        try
        {
            old = JsonSerializer.Deserialize(File.ReadAllBytes(legacy), LegacyCatalogJsonContext.Default.CatalogContent);
        }
        catch (Exception e) when (e is JsonException or FileNotFoundException)
        {
            if (e is FileNotFoundException) return; // another process imported it meanwhile
            throw new SbuildException(ErrorCode.StoreCorrupt, $"snapshot catalog {legacy} is unreadable: {e.Message}", e);
        }
        Update(content =>
        {
            if (content.Snapshots.Count > 0 || old is null) return 0;
            foreach (var (key, record) in old.Snapshots) content.Snapshots[key] = record;
            content.NextId = old.NextId;
            return 0;
        });
        File.Delete(legacy);
        File.Delete(Path.Combine(root, LegacyLockName));
    }

    private SqliteCommand Command(SqliteTransaction tx, string sql, params (string Name, object Value)[] parameters)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return cmd;
    }
}
