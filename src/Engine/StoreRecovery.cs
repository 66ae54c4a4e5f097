using Sbuild.Core;
using Sbuild.Core.Metadata;
using Sbuild.Engine.Cache;
using Sbuild.Runner;
using Sbuild.Snapshotter;

namespace Sbuild.Engine;

/// <summary>What a recovery reclaimed, for a note on standard error.</summary>
public sealed record RecoveryReport(int Leases, int Containers, int Mounts, int Snapshots, int Entries, PruneReport? Swept)
{
    public bool IsEmpty => Leases == 0 && Swept is null;

    public override string ToString() =>
        $"reclaimed the work of {Leases} ended sbuild process(es): {Containers} container(s), {Mounts} mount(s), {Snapshots} snapshot(s), {Entries} temporary entries"
        + (Swept is { } swept ? $"; removed {swept.Snapshots} unreferenced snapshot(s) and {swept.Blobs} blob(s), {swept.Reclaimed} bytes" : "");
}

/// <summary>
/// Reclaims what sbuild processes that ended without cleaning up (killed, crashed, power lost) left in a store, and
/// only theirs (see <see cref="StoreLeases"/>): for each dead lease its containers are killed and deleted, its mounts
/// unmounted, its active and view snapshots removed, its scratch directories, bundles and ingest files deleted.
/// What no lease names — committed step snapshots no cache record reaches, blobs nothing references (a step killed
/// between writing its layer and its record) — is collected when no other process uses the store (the store lock
/// taken exclusively at once); until then <c>sweep-pending</c> remembers it is due.
/// </summary>
public static class StoreRecovery
{
    private const string MemoryDirectory = "/dev/shm";

    public static RecoveryReport Run(ImageStore store)
    {
        int leases = 0, containers = 0, mounts = 0, snapshots = 0, entries = 0;
        var root = Path.GetFullPath(store.Root);
        var sweepMarker = Path.Combine(root, "sweep-pending");
        foreach (var lease in StoreLeases.Dead(root))
            using (lease)
            {
                // Containers first: a live container keeps writing into the mounts below.
                var bundles = Entries(Path.Combine(root, "tmp", lease.Id), "sbuild-").Concat(Entries(MemoryDirectory, "sbuild-" + lease.Tag)).ToList();
                foreach (var bundle in bundles)
                    if (Directory.Exists(Path.Combine(bundle, "state")) && Directory.EnumerateDirectories(Path.Combine(bundle, "state")).Any())
                    {
                        if (!ContainerRunner.DeleteLeftoverContainer(bundle)) continue;
                        containers++;
                    }
                foreach (var area in (string[])["mnt", "tmp"])
                {
                    var directory = Path.Combine(root, area, lease.Id);
                    mounts += MountTable.Below(directory).Count;
                    MountTable.UnmountBelow(directory);
                }
                foreach (var snapshotter in SnapshotWorkspace.AllSnapshotsOf(store))
                    foreach (var snapshot in snapshotter.List())
                        if (snapshot.Kind != SnapshotKind.Committed && IsTagged(snapshot.Key, lease.Tag))
                        {
                            snapshotter.Remove(snapshot.Key);
                            snapshots++;
                        }
                var leftovers = bundles
                    .Concat(Entries(Path.Combine(root, "ingest"), lease.Tag))
                    .Append(Path.Combine(root, "mnt", lease.Id))
                    .Append(Path.Combine(root, "tmp", lease.Id))
                    .Where(Path.Exists).ToList();
                foreach (var entry in leftovers) TreeRemover.Delete(entry);
                entries += leftovers.Count;
                File.WriteAllBytes(sweepMarker, []);
                lease.Ended();
                leases++;
            }
        return new RecoveryReport(leases, containers, mounts, snapshots, entries, File.Exists(sweepMarker) ? Sweep(store, sweepMarker) : null);
    }

    /// <summary>Collects unreferenced snapshots and blobs if no other process uses the store now; null if one does.</summary>
    private static PruneReport? Sweep(ImageStore store, string marker)
    {
        using var exclusive = StoreLock.TryExclusive(store.Root);
        if (exclusive is null) return null;
        using var database = StoreDatabase.Open(store.Root);
        var report = new BuildCache(store, database).RemoveUnreferenced();
        File.Delete(marker);
        return report;
    }

    /// <summary>Keys and names are <c>KIND-TAG…</c> (<c>active-</c>, <c>view-</c>, <c>unpack-</c>, <c>step-</c>).</summary>
    private static bool IsTagged(string key, string tag) =>
        key.IndexOf('-', StringComparison.Ordinal) is var dash and >= 0 && key.AsSpan(dash + 1).StartsWith(tag, StringComparison.Ordinal);

    private static IEnumerable<string> Entries(string directory, string prefix) =>
        Directory.Exists(directory) ? Directory.EnumerateFileSystemEntries(directory, prefix + "*") : [];
}
