using Sbuild.Core;
using Sbuild.Exporter;
using Sbuild.Snapshotter;

namespace Sbuild.Engine;

/// <summary>
/// The snapshot side of a build step: prepare a child of a state's snapshot, mount it, let the step change
/// it, unmount, turn its upper directory into a layer blob, commit. A step that changes nothing returns its
/// parent state (no layer, no snapshot). Failed steps leave no snapshot behind.
/// </summary>
public sealed class SnapshotWorkspace(ImageStore store, DateTimeOffset? sourceDateEpoch)
{
    private readonly string _mountRoot = Directory.CreateDirectory(Path.Combine(store.Root, "mnt")).FullName;

    public OverlaySnapshotter Snapshotter { get; } = SnapshotsOf(store);

    /// <summary>The snapshotter over a store's <c>snapshots/</c> directory (what builds write and the cache's life cycle prunes).</summary>
    public static OverlaySnapshotter SnapshotsOf(ImageStore store) => new(Path.Combine(store.Root, "snapshots"));

    public async Task<FsState> ChangeAsync(FsState parent, Func<string, Task> change, CancellationToken ct)
    {
        var key = "active-" + Guid.NewGuid().ToString("N");
        var mounts = Snapshotter.Prepare(key, parent.Snapshot);
        var committed = false;
        try
        {
            await WithMountAsync(mounts, change).ConfigureAwait(false);
            if (!Directory.EnumerateFileSystemEntries(Snapshotter.UpperDir(key)).Any()) return parent;

            using var layer = new LayerBlobWriter(store.Content);
            await new OverlayDiffer(Snapshotter).WriteDiffAsync(key, layer.Stream, new LayerDiffOptions { SourceDateEpoch = sourceDateEpoch }, ct).ConfigureAwait(false);
            var blob = layer.Commit();
            var name = "step-" + Guid.NewGuid().ToString("N");
            Snapshotter.Commit(name, key);
            committed = true;
            return new FsState(name, [.. parent.Layers, blob], DateTimeOffset.UtcNow);
        }
        finally
        {
            if (!committed) Snapshotter.Remove(key);
        }
    }

    /// <summary>Mounts a read-only view of <paramref name="state"/> for the duration of <paramref name="read"/>.</summary>
    public async Task<T> WithViewAsync<T>(FsState state, Func<string, Task<T>> read, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var key = "view-" + Guid.NewGuid().ToString("N");
        var mounts = Snapshotter.View(key, state.Snapshot);
        try
        {
            T result = default!;
            await WithMountAsync(mounts, async dir => result = await read(dir).ConfigureAwait(false)).ConfigureAwait(false);
            return result;
        }
        finally
        {
            Snapshotter.Remove(key);
        }
    }

    /// <summary>Makes sure committed snapshot <paramref name="name"/> exists, creating it from a layer on <paramref name="parent"/> if needed.</summary>
    public async Task<string> EnsureLayerAsync(string name, string? parent, Func<Func<Stream, Task>, CancellationToken, Task> openLayer, CancellationToken ct)
    {
        if (Snapshotter.Exists(name)) return name;
        var key = "unpack-" + Guid.NewGuid().ToString("N");
        Snapshotter.Prepare(key, parent);
        try
        {
            var differ = new OverlayDiffer(Snapshotter);
            await openLayer(tar => differ.ApplyAsync(key, tar, ct), ct).ConfigureAwait(false);
            Snapshotter.Commit(name, key);
            return name;
        }
        catch (SnapshotExistsException e) when (e.Key == name)
        {
            Snapshotter.Remove(key); // another build unpacked the same layer first
            return name;
        }
        catch
        {
            Snapshotter.Remove(key);
            throw;
        }
    }

    private async Task WithMountAsync(IReadOnlyList<Mount> mounts, Func<string, Task> action)
    {
        var target = Directory.CreateDirectory(Path.Combine(_mountRoot, Guid.NewGuid().ToString("N")[..8])).FullName;
        try
        {
            using (Mounter.MountAll(mounts, target))
                await action(target).ConfigureAwait(false);
        }
        finally
        {
            Directory.Delete(target);
        }
    }
}
