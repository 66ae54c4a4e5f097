using System.Collections.Concurrent;
using Sbuild.Core;
using Sbuild.Solver;

namespace Sbuild.Engine.Cache;

/// <summary>
/// The cache one build uses: the store's records first, then any <c>--cache-from</c> imports (an imported hit is
/// unpacked and recorded in the store, so the next build hits locally). Remembers which keys this build used, for
/// <c>--cache-to</c>.
/// </summary>
public sealed class BuildCacheStore(DatabaseCacheStore local, CacheImport? imported) : ICacheStore<FsState>
{
    private readonly ConcurrentDictionary<Digest, byte> _used = new();

    /// <summary>Keys this build hit or recorded.</summary>
    public IReadOnlyCollection<Digest> Used => _used.Keys.ToList();

    public async ValueTask<FsState?> GetAsync(Digest key, CancellationToken ct)
    {
        if (await local.GetAsync(key, ct).ConfigureAwait(false) is { } hit)
        {
            _used[key] = 0;
            return hit;
        }
        if (imported is null || await imported.GetAsync(key, ct).ConfigureAwait(false) is not { } fetched) return null;
        local.Put(key, fetched.State, fetched.Description);
        _used[key] = 0;
        return fetched.State;
    }

    public void Put(Digest key, FsState result, string description)
    {
        local.Put(key, result, description);
        _used[key] = 0;
    }
}
