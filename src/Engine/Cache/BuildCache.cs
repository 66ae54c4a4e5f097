using System.Text.Json;
using Sbuild.Core;
using Sbuild.Core.Metadata;
using Sbuild.Engine.Debugging;
using Sbuild.Snapshotter;

namespace Sbuild.Engine.Cache;

/// <summary>One build-cache record as <c>sbuild du</c> lists it.</summary>
public sealed record CacheUsage(string Id, string Description, long Size, DateTimeOffset Created, DateTimeOffset LastUsed, long Uses = 1);

/// <summary>
/// What <c>sbuild prune</c> removes: records last used before <see cref="Until"/> ago (all when null), least recently
/// used first, until the cache is at most <see cref="KeepStorage"/> bytes (when set). <see cref="All"/> also removes
/// base images' unpacked layers that no remaining record builds on (they are unpacked again from the image's blobs) and
/// the contents of <c>RUN --mount=type=cache</c> directories.
/// </summary>
public sealed record PruneFilter(bool All = false, long? KeepStorage = null, TimeSpan? Until = null);

/// <summary>What a prune removed and how many bytes that freed (snapshot files plus blobs).</summary>
public sealed record PruneReport(IReadOnlyList<CacheUsage> Removed, int Snapshots, int Blobs, long Reclaimed);

/// <summary>
/// The life cycle of the build cache: listing, pruning (LRU) and collecting garbage after a build within a budget.
/// Removal is by reachability: a snapshot stays while a remaining record uses it or builds on it; a blob stays while an
/// image of the store or a remaining record references it. Callers hold the store lock exclusively (see <see cref="StoreLock"/>).
/// </summary>
public sealed class BuildCache(ImageStore store, StoreDatabase database) : IDisposable
{
    // Opened when first needed: the GC after a build usually finds the cache within its budget and opens none.
    private IReadOnlyList<ISnapshotter>? _snapshotters;

    private IReadOnlyList<ISnapshotter> Snapshotters => _snapshotters ??= SnapshotWorkspace.AllSnapshotsOf(store);

    public void Dispose()
    {
        foreach (var snapshotter in _snapshotters ?? []) snapshotter.Dispose();
    }

    /// <summary>The cache records, then the kept failures and the build logs (<see cref="Debugging"/>), which prune removes too.</summary>
    public IReadOnlyList<CacheUsage> Usage()
    {
        var usage = database.ListCacheRecords().Select(ToUsage).OrderByDescending(u => u.LastUsed).ThenBy(u => u.Id, StringComparer.Ordinal).ToList();
        usage.AddRange(KeptFailures.List(store.Root).Reverse().Select(FailureUsage));
        var logs = BuildLogs.Builds(store.Root);
        if (logs.Count > 0)
        {
            var written = Directory.GetLastWriteTimeUtc(Path.Combine(BuildLogs.RootOf(store.Root), logs[^1]));
            usage.Add(new CacheUsage(LogsId, $"full step output of the last {logs.Count} builds (sbuild logs)", BuildLogs.Size(store.Root),
                new DateTimeOffset(written, TimeSpan.Zero), new DateTimeOffset(written, TimeSpan.Zero)));
        }
        return usage;
    }

    /// <summary>The ID <see cref="Usage"/> gives the build logs.</summary>
    public const string LogsId = "logs";

    private CacheUsage FailureUsage(KeptFailure failure)
    {
        var size = Snapshotters.Where(s => s.Exists(failure.Snapshot)).Select(s => s.Usage(failure.Snapshot)).FirstOrDefault();
        return new CacheUsage($"failure {failure.Build} step {failure.Step}", $"kept failure: {failure.Name} (sbuild debug shell)", size, failure.Created, failure.Created);
    }

    public PruneReport Prune(PruneFilter filter, DateTimeOffset now)
    {
        var records = database.ListCacheRecords();
        var candidates = records.Where(r => filter.Until is not { } until || FromMs(r.LastUsed) <= now - until)
            .OrderBy(r => r.LastUsed).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();
        var remaining = records.Sum(r => r.Size);
        var removed = new List<CacheRecord>();
        foreach (var record in candidates)
        {
            if (filter.KeepStorage is { } keep && remaining <= keep) break;
            removed.Add(record);
            remaining -= record.Size;
        }
        // Kept failures and logs are not records: they go by age only (all of them without until=).
        DateTimeOffset? before = filter.Until is { } age ? now - age : null;
        var failures = KeptFailures.Remove(store.Root, before).Select(FailureUsage).ToList();
        var logsSize = BuildLogs.Size(store.Root);
        var logs = BuildLogs.Remove(store.Root, before) > 0 ? logsSize - BuildLogs.Size(store.Root) : 0;
        var report = Remove(removed, filter.All);
        return report with { Removed = [.. report.Removed, .. failures], Reclaimed = report.Reclaimed + logs };
    }

    /// <summary>
    /// Automatic GC after a build: least recently used records go while the cache is over
    /// <see cref="GcPolicy.MaxUsedSpace"/> or the filesystem has less than <see cref="GcPolicy.MinFreeSpace"/> free, but
    /// never below <see cref="GcPolicy.ReservedSpace"/>. Null when nothing had to go.
    /// </summary>
    public PruneReport? Collect(GcPolicy policy)
    {
        var drive = new DriveInfo(store.Root);
        var total = drive.TotalSize;
        long maxUsed = policy.MaxUsedSpace.Bytes(total), minFree = policy.MinFreeSpace.Bytes(total), reserved = policy.ReservedSpace.Bytes(total);
        var used = database.CacheSize();
        var free = drive.AvailableFreeSpace;
        if (used <= maxUsed && free >= minFree) return null;
        var records = database.ListCacheRecords().OrderBy(r => r.LastUsed).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();
        var removed = new List<CacheRecord>();
        foreach (var record in records)
        {
            if (used <= maxUsed && free >= minFree) break;
            if (used - record.Size < reserved) break;
            removed.Add(record);
            used -= record.Size;
            free += record.Size;
        }
        return removed.Count == 0 ? null : Remove(removed, all: false);
    }

    /// <summary>Removes committed step snapshots no record reaches and blobs nothing references, keeping every record
    /// (what a process killed between writing a layer and its record leaves).</summary>
    public PruneReport RemoveUnreferenced() => Remove([], all: false);

    /// <summary>
    /// After images left the index (<c>rmi</c>, <c>image prune</c>): removes the blobs that neither a remaining image
    /// nor a build-cache record references, by the same rule as a prune. The caller holds the store lock exclusively.
    /// </summary>
    public (int Count, long Bytes) RemoveUnreferencedBlobs() =>
        RemoveUnusedBlobs(KeptStates());

    private PruneReport Remove(IReadOnlyList<CacheRecord> removed, bool all)
    {
        foreach (var record in removed) database.DeleteCacheRecord(record.Key);
        var kept = KeptStates();
        int snapshotCount = 0;
        long snapshotBytes = 0;
        foreach (var snapshotter in Snapshotters)
        {
            var (count, bytes) = RemoveUnusedSnapshots(snapshotter, kept, all);
            snapshotCount += count;
            snapshotBytes += bytes;
        }
        var (blobCount, blobBytes) = RemoveUnusedBlobs(kept);
        if (all)
        {
            // Build records (`cache why`) go with everything else; the cache inputs of removed records went with them.
            database.DeleteBuilds();
            // RUN --mount=type=cache contents: nothing refers to them but running steps, and the caller holds the store alone.
            var cacheMounts = Path.Combine(store.Root, "cache-mounts");
            TreeRemover.Delete(cacheMounts);
        }
        if (removed.Count > 0 || snapshotCount > 0)
        {
            // Content digests of COPY --from selections are remembered per snapshot; they are cheap to compute again.
            var selections = Path.Combine(store.Root, "cache", "selections");
            TreeRemover.Delete(selections);
        }
        return new PruneReport(removed.Select(ToUsage).ToList(), snapshotCount, blobCount, snapshotBytes + blobBytes);
    }

    /// <summary>
    /// Committed step snapshots of <paramref name="snapshots"/> (and with <paramref name="all"/> unpacked base layers) that
    /// no kept record reaches. Names are matched in every snapshotter's root: an unpacked base layer has the same name in
    /// each, and stays in each while a kept record builds on it.
    /// </summary>
    private static (int Count, long Bytes) RemoveUnusedSnapshots(ISnapshotter snapshots, IReadOnlyList<FsState> kept, bool all)
    {
        var infos = snapshots.List().ToDictionary(s => s.Key, StringComparer.Ordinal);
        var live = Reached(infos, kept);
        // Only committed snapshots are the cache's: active and view ones belong to a running step (or to a crashed one,
        // which the store's recovery handles).
        var unused = infos.Values.Where(s => s.Kind == SnapshotKind.Committed && !live.Contains(s.Key)
                                             && (all || !s.Key.StartsWith("layer-", StringComparison.Ordinal))).ToList();
        var count = 0;
        long bytes = 0;
        // Children first: a snapshot with children cannot go, and its children are in the same unused set or live.
        var children = infos.Values.Where(s => s.Parent is not null).GroupBy(s => s.Parent!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var pending = new Queue<SnapshotInfo>(unused.Where(s => !children.ContainsKey(s.Key)));
        var unusedNames = unused.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        while (pending.Count > 0)
        {
            var snapshot = pending.Dequeue();
            bytes += snapshots.Usage(snapshot.Key);
            snapshots.Remove(snapshot.Key);
            count++;
            if (snapshot.Parent is { } parent && unusedNames.Contains(parent) && --children[parent] == 0)
                pending.Enqueue(infos[parent]);
        }
        return (count, bytes);
    }

    /// <summary>Snapshots of <paramref name="infos"/> that <paramref name="kept"/> use or build on.</summary>
    private static HashSet<string> Reached(Dictionary<string, SnapshotInfo> infos, IReadOnlyList<FsState> kept)
    {
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (var state in kept)
            for (var name = state.Snapshot; name is not null && live.Add(name);)
                name = infos.TryGetValue(name, out var info) ? info.Parent : null;
        return live;
    }

    /// <summary>Committed step snapshots no record uses or builds on (left by a step killed before its record was written).</summary>
    public IReadOnlyList<string> UnreferencedSteps()
    {
        var kept = KeptStates();
        return Snapshotters.SelectMany(snapshots =>
        {
            var infos = snapshots.List().ToDictionary(s => s.Key, StringComparer.Ordinal);
            var live = Reached(infos, kept);
            return infos.Values.Where(s => s.Kind == SnapshotKind.Committed && s.Key.StartsWith("step-", StringComparison.Ordinal) && !live.Contains(s.Key)).Select(s => s.Key);
        }).ToList();
    }

    /// <summary>Blobs neither an image of the store nor a kept record references (the layers of removed steps).</summary>
    private (int Count, long Bytes) RemoveUnusedBlobs(IReadOnlyList<FsState> kept)
    {
        var live = new HashSet<Digest>();
        foreach (var image in store.Entries())
            foreach (var descriptor in ImageGraph.Reachable(store.Content, image.Manifest, skipMissing: true))
                live.Add(descriptor.Digest);
        foreach (var state in kept)
            foreach (var layer in state.Layers) live.Add(layer.Blob.Digest);
        var count = 0;
        long bytes = 0;
        foreach (var digest in store.Content.Walk().ToList())
        {
            if (live.Contains(digest)) continue;
            bytes += store.Content.SizeOf(digest) ?? 0;
            store.Content.Delete(digest);
            count++;
        }
        return (count, bytes);
    }

    /// <summary>What must stay: the records' states, and the snapshots of kept failures (the failed filesystem and the inputs its mounts read).</summary>
    private List<FsState> KeptStates() =>
    [
        .. database.ListCacheRecords().Select(StateOf).OfType<FsState>(),
        .. KeptFailures.List(store.Root).SelectMany(f => f.Inputs.Prepend(new FsState(f.Snapshot, []))),
    ];

    private static FsState? StateOf(CacheRecord record)
    {
        try
        {
            return JsonSerializer.Deserialize(record.Result, BuildJsonContext.Default.FsState);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static CacheUsage ToUsage(CacheRecord record) =>
        new(record.Key, record.Description, record.Size, FromMs(record.Created), FromMs(record.LastUsed), record.Uses);

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
