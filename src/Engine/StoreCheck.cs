using System.Text.Json;
using Sbuild.Core;
using Sbuild.Core.Metadata;
using Sbuild.Engine.Cache;
using Sbuild.Snapshotter;

namespace Sbuild.Engine;

/// <summary>What <c>sbuild doctor</c> found (one line each) and, with repair, what it did.</summary>
public sealed record StoreCheckReport(IReadOnlyList<string> Problems, IReadOnlyList<string> Repairs, IReadOnlyList<string> Unrepaired);

/// <summary>
/// <c>sbuild doctor</c>: checks a store from its content up. Every blob's content against its digest (read as a
/// stream); every image's index → manifests → config and layers; every cache record's result, snapshot and layer
/// blobs; each snapshotter root's catalog against its directories (<see cref="CatalogCheck"/>); what ended processes
/// left (<see cref="StoreRecovery"/>); committed step snapshots no record reaches. With repair it fixes what it can
/// without losing an image: leftovers are reclaimed, corrupt blobs deleted, records whose content is gone dropped,
/// catalogs mended, unreferenced snapshots and blobs removed. An image whose content is gone is reported, not removed
/// (pull or build it again). The caller holds the store lock exclusively.
/// </summary>
public static class StoreCheck
{
    private static readonly string[] ScratchAreas = ["tmp", "mnt", "ingest"];

    public static StoreCheckReport Run(ImageStore store, bool repair)
    {
        var problems = new List<string>();
        var repairs = new List<string>();
        var root = Path.GetFullPath(store.Root);

        var dead = new List<string>();
        if (repair)
        {
            var recovered = StoreRecovery.Run(store);
            if (!recovered.IsEmpty) repairs.Add(recovered.ToString());
        }
        else
            foreach (var lease in StoreLeases.Dead(root))
                using (lease)
                {
                    dead.Add(lease.Id);
                    problems.Add($"process {lease.Id} ended without cleaning up: its containers, mounts, snapshots and temporary files are left (--fix reclaims them)");
                }
        // With the store held alone, scratch entries of no live process are garbage (an older sbuild's, or a lease lost).
        foreach (var area in ScratchAreas)
        {
            var directory = Path.Combine(root, area);
            if (!Directory.Exists(directory)) continue;
            foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
            {
                var name = Path.GetFileName(entry);
                if (name.StartsWith(StoreLeases.Id, StringComparison.Ordinal) || dead.Any(id => name.StartsWith(id, StringComparison.Ordinal))) continue;
                problems.Add($"{entry}: left by a process that ended");
                if (!repair) continue;
                MountTable.UnmountBelow(entry);
                TreeRemover.Delete(entry);
                repairs.Add($"{entry}: removed");
            }
        }

        // Blobs: content against name.
        var corrupt = new HashSet<Digest>();
        foreach (var digest in store.Content.Walk().ToList())
        {
            using (var stream = store.Content.OpenRead(digest))
                if (Digest.Of(stream) == digest) continue;
            corrupt.Add(digest);
            problems.Add($"blob {digest}: its content does not match its digest");
            if (!repair) continue;
            store.Content.Delete(digest);
            repairs.Add($"blob {digest}: removed (corrupt)");
        }
        bool Present(Digest digest) => !corrupt.Contains(digest) && store.Content.Exists(digest);

        // Images: everything they reference is present and readable.
        var unrepaired = new List<string>();
        foreach (var image in store.List())
            foreach (var missing in MissingContent(store, image.Manifest, Present))
            {
                var line = $"image {image.Name}: {missing}; pull or build it again";
                problems.Add(line);
                unrepaired.Add(line);
            }

        // Snapshot catalogs against their directories, then cache records against snapshots and blobs.
        var snapshotRoots = new[] { "snapshots", "snapshots-native" }.Select(name => Path.Combine(root, name)).ToList();
        foreach (var snapshotRoot in snapshotRoots)
            problems.AddRange(CatalogCheck.Run(snapshotRoot, repair, repairs.Add));
        IReadOnlyList<ISnapshotter> snapshotters;
        try
        {
            snapshotters = SnapshotWorkspace.AllSnapshotsOf(store);
        }
        catch (SbuildException e) when (e.Code == ErrorCode.StoreCorrupt)
        {
            return new StoreCheckReport(problems, repairs, unrepaired); // an unreadable catalog, reported above: records cannot be checked against it
        }
        using var database = StoreDatabase.Open(root);
        foreach (var record in database.ListCacheRecords())
        {
            var fault = RecordFault(record, snapshotters, Present);
            if (fault is null) continue;
            problems.Add($"cache record {record.Key} ({record.Description}): {fault}");
            if (!repair) continue;
            database.DeleteCacheRecord(record.Key);
            repairs.Add($"cache record {record.Key}: removed (the step runs again when next needed)");
        }

        // Step snapshots no record reaches: left by a step whose record was never written.
        var cache = new BuildCache(store, database);
        if (repair)
        {
            var swept = cache.RemoveUnreferenced();
            if (swept.Snapshots > 0 || swept.Blobs > 0)
                repairs.Add($"removed {swept.Snapshots} unreferenced snapshot(s) and {swept.Blobs} unreferenced blob(s), {swept.Reclaimed} bytes");
        }
        else
            foreach (var name in cache.UnreferencedSteps())
                problems.Add($"snapshot \"{name}\": no cache record uses it (left by a step that never finished)");
        return new StoreCheckReport(problems, repairs, unrepaired);
    }

    /// <summary>Why a record cannot answer a cache hit any more, or null.</summary>
    private static string? RecordFault(CacheRecord record, IReadOnlyList<ISnapshotter> snapshotters, Func<Digest, bool> present)
    {
        FsState? state;
        try
        {
            state = JsonSerializer.Deserialize(record.Result, BuildJsonContext.Default.FsState);
        }
        catch (JsonException e)
        {
            return $"its result is unreadable ({e.Message})";
        }
        if (state is null) return "its result is empty";
        if (state.Snapshot is { } snapshot && !snapshotters.Any(s => s.Exists(snapshot)))
            return $"its snapshot \"{snapshot}\" is gone";
        foreach (var layer in state.Layers)
            if (!present(layer.Blob.Digest))
                return $"its layer {layer.Blob.Digest} is gone";
        return null;
    }

    private static (IReadOnlyList<Descriptor> Children, string? Unreadable) ChildrenOf(ImageStore store, Descriptor descriptor)
    {
        try
        {
            return (ImageGraph.Children(store.Content, descriptor), null);
        }
        catch (Exception e) when (e is JsonException or SbuildException)
        {
            return ([], $"{descriptor.MediaType} {descriptor.Digest} is unreadable ({e.Message})");
        }
    }

    private static IEnumerable<string> MissingContent(ImageStore store, Descriptor descriptor, Func<Digest, bool> present)
    {
        if (!present(descriptor.Digest))
        {
            yield return $"{descriptor.MediaType} {descriptor.Digest} is missing or corrupt";
            yield break;
        }
        var (children, unreadable) = ChildrenOf(store, descriptor);
        if (unreadable is not null) yield return unreadable;
        foreach (var child in children)
            if (MediaTypes.IsIndex(child.MediaType) || MediaTypes.IsManifest(child.MediaType))
                foreach (var missing in MissingContent(store, child, present))
                    yield return missing;
            else if (!present(child.Digest))
                yield return $"{child.MediaType} {child.Digest} is missing or corrupt";
    }
}
