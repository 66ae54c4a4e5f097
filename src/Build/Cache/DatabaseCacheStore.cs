using System.Text.Json;
using Sbuild.Core;
using Sbuild.Core.Metadata;
using Sbuild.Solver;

namespace Sbuild.Build.Cache;

/// <summary>
/// The build cache in the store's metadata database: key → the step's result, with its size, creation and last use
/// (for <c>sbuild du</c>, <c>prune</c> and GC). A record whose snapshot is gone is a miss; a damaged one too.
/// </summary>
public sealed class DatabaseCacheStore(StoreDatabase database, SnapshotWorkspace workspace) : ICacheStore<FsState>
{
    public bool TryGet(Digest key, out FsState result)
    {
        result = FsState.Empty;
        if (database.TryGetCacheRecord(key.ToString()) is not { } record) return false;
        try
        {
            if (JsonSerializer.Deserialize(record.Result, BuildJsonContext.Default.FsState) is not { } state) return false;
            if (state.Snapshot is not null && !workspace.Snapshotter.Exists(state.Snapshot)) return false;
            result = state;
            return true;
        }
        catch (JsonException)
        {
            return false; // a damaged record is a cache miss, not a failed build
        }
    }

    public void Put(Digest key, FsState result, string description) =>
        database.PutCacheRecord(key.ToString(), JsonSerializer.Serialize(result, BuildJsonContext.Default.FsState),
            result.Snapshot is { } snapshot ? SnapshotSizes.OwnSize(workspace.Snapshotter, snapshot) : 0, description);
}
