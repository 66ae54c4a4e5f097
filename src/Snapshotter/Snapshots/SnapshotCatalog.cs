using System.Text.Json;
using System.Text.Json.Serialization;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>One snapshot as stored: its directory id, kind and parent name.</summary>
internal sealed record SnapshotRecord(long Id, SnapshotKind Kind, string? Parent, DateTimeOffset Created);

/// <summary>The catalog file's content: every snapshot by key, and the next directory id to hand out.</summary>
internal sealed class CatalogContent
{
    public long NextId { get; set; } = 1;
    public SortedDictionary<string, SnapshotRecord> Snapshots { get; set; } = new(StringComparer.Ordinal);

    public SnapshotRecord Get(string key) => Snapshots.GetValueOrDefault(key) ?? throw new SnapshotNotFoundException(key);

    public bool HasChildren(string name) => Snapshots.Values.Any(s => s.Parent == name);
}

[JsonSourceGenerationOptions(UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(CatalogContent))]
internal sealed partial class SnapshotCatalogJsonContext : JsonSerializerContext;

/// <summary>
/// The snapshot metadata of one snapshotter root, in <c>catalog.json</c>. Readers see a consistent file without a
/// lock (writes replace it atomically); read-modify-write updates hold <c>catalog.lock</c>, which serializes threads
/// and processes alike.
/// </summary>
internal sealed class SnapshotCatalog(string root)
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(2);
    private readonly string _path = Path.Combine(root, "catalog.json");
    private readonly string _lockPath = Path.Combine(root, "catalog.lock");

    public CatalogContent Read()
    {
        byte[] json;
        try
        {
            json = File.ReadAllBytes(_path);
        }
        catch (FileNotFoundException)
        {
            return new CatalogContent();
        }
        try
        {
            return JsonSerializer.Deserialize(json, SnapshotCatalogJsonContext.Default.CatalogContent)
                ?? throw new JsonException("the document is null");
        }
        catch (JsonException e)
        {
            throw new SbuildException(ErrorCode.StoreCorrupt, $"snapshot catalog {_path} is unreadable: {e.Message}", e);
        }
    }

    /// <summary>Runs <paramref name="change"/> on the current content under the lock and saves what it leaves; an exception saves nothing.</summary>
    public T Update<T>(Func<CatalogContent, T> change)
    {
        using var _ = AcquireLock();
        var content = Read();
        var result = change(content);
        AtomicFile.WriteAllBytes(_path, JsonSerializer.SerializeToUtf8Bytes(content, SnapshotCatalogJsonContext.Default.CatalogContent));
        return result;
    }

    /// <summary>Runs <paramref name="action"/> on the current content under the lock, so no update happens meanwhile; nothing is saved.</summary>
    public void Inspect(Action<CatalogContent> action)
    {
        using var _ = AcquireLock();
        action(Read());
    }

    private IDisposable AcquireLock() => FileLock.Acquire(_lockPath, LockTimeout);
}
