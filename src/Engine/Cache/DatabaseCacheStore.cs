using System.Text.Json;
using Sbuild.Core;
using Sbuild.Core.Metadata;
using Sbuild.Solver;

namespace Sbuild.Engine.Cache;

/// <summary>
/// The build cache in the store's metadata database: key → the step's result, with its size, creation and last use
/// (for <c>sbuild du</c>, <c>prune</c> and GC). A record whose snapshot (or, not unpacked, a layer blob) is gone is a
/// miss; a damaged one too.
/// </summary>
public sealed class DatabaseCacheStore(StoreDatabase database, SnapshotWorkspace workspace) : ICacheStore<FsState>
{
    public ValueTask<FsState?> GetAsync(Digest key, CancellationToken ct) => ValueTask.FromResult(Get(key));

    private FsState? Get(Digest key)
    {
        if (database.TryGetCacheRecord(key.ToString()) is not { } record) return null;
        try
        {
            var state = JsonSerializer.Deserialize(record.Result, BuildJsonContext.Default.FsState);
            return state is not null && workspace.Has(state) ? state : null;
        }
        catch (JsonException)
        {
            return null; // a damaged record is a cache miss, not a failed build
        }
    }

    public void Put(Digest key, FsState result, string description) =>
        database.PutCacheRecord(key.ToString(), JsonSerializer.Serialize(result, BuildJsonContext.Default.FsState),
            result.Snapshot is { } snapshot ? workspace.Snapshotter.Usage(snapshot) : 0, description);
}
