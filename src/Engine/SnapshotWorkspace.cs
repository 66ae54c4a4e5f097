using System.Collections.Concurrent;
using Sbuild.Core;
using Sbuild.Exporter;
using Sbuild.Snapshotter;

namespace Sbuild.Engine;

/// <summary>
/// The snapshot side of a build step: prepare a child of a state's snapshot, mount it, let the step change
/// it, unmount, turn its changes into a layer blob, commit. A step that changes nothing still gets its (empty)
/// layer and snapshot, as in BuildKit, where every RUN, COPY, ADD and WORKDIR is a layer of the image. Failed steps
/// leave no snapshot behind, unless the step asks to keep it for debugging.
/// </summary>
public sealed class SnapshotWorkspace : IDisposable
{
    private readonly ImageStore _store;
    private readonly DateTimeOffset? _sourceDateEpoch;
    private readonly string _mountRoot;
    private readonly string _tag;
    private readonly IDiffer _differ;
    // Layers are unpacked when a step first needs them, so parallel stages on one base ask for the same snapshots at
    // once: each is unpacked by the first asker and awaited by the others.
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _unpacking = new(StringComparer.Ordinal);

    public SnapshotWorkspace(ImageStore store, SnapshotterKind kind, DateTimeOffset? sourceDateEpoch)
    {
        _store = store;
        _sourceDateEpoch = sourceDateEpoch;
        // Keys, names and mount points carry this process's lease: what a killed build left is known to be garbage.
        _tag = StoreLeases.Tag(store.Root);
        _mountRoot = StoreLeases.Directory(store.Root, "mnt");
        Snapshotter = SnapshotsOf(store, kind);
        _differ = Snapshotters.DifferOf(Snapshotter, _mountRoot);
    }

    public ISnapshotter Snapshotter { get; }

    public void Dispose() => Snapshotter.Dispose();

    /// <summary>
    /// The snapshotter of <paramref name="kind"/> over its own root in the store: <c>snapshots/</c> for overlay (where
    /// stores have always kept them), <c>snapshots-native/</c> for copies. Separate roots keep one kind from ever reading
    /// the other's snapshots: after a switch, cache records whose snapshot is in the other root are misses.
    /// </summary>
    public static ISnapshotter SnapshotsOf(ImageStore store, SnapshotterKind kind) => Snapshotters.Open(kind, RootOf(store, kind));

    /// <summary>The snapshotters of every kind that has a root in the store (what the cache's life cycle prunes).</summary>
    public static IReadOnlyList<ISnapshotter> AllSnapshotsOf(ImageStore store) =>
        Enum.GetValues<SnapshotterKind>().Where(k => Directory.Exists(RootOf(store, k))).Select(k => SnapshotsOf(store, k)).ToList();

    private static string RootOf(ImageStore store, SnapshotterKind kind) =>
        Path.Combine(store.Root, kind == SnapshotterKind.Overlay ? "snapshots" : "snapshots-native");

    /// <param name="keepFailed">When <paramref name="change"/> fails: the name to commit the changed snapshot as, so the
    /// failure can be entered later (null: discard it, as always without this).</param>
    public async Task<FsState> ChangeAsync(FsState parent, Func<string, Task> change, CancellationToken ct, Func<Exception, string?>? keepFailed = null)
    {
        var parentSnapshot = await SnapshotOfAsync(parent, ct).ConfigureAwait(false);
        var key = "active-" + _tag + Guid.NewGuid().ToString("N");
        var mounts = Snapshotter.Prepare(key, parentSnapshot);
        var committed = false;
        try
        {
            try
            {
                await WithMountAsync(mounts, change).ConfigureAwait(false);
            }
            catch (Exception e) when (keepFailed?.Invoke(e) is { } failedName)
            {
                // Keeping it must never hide the step's own error (a full disk): then it is discarded as usual.
                try
                {
                    Snapshotter.Commit(failedName, key);
                    committed = true;
                }
                catch (Exception keepError) when (keepError is IOException or SbuildException or InvalidOperationException or UnauthorizedAccessException)
                {
                }
                throw;
            }

            using var layer = new LayerBlobWriter(_store.Content);
            await _differ.WriteDiffAsync(key, layer.Stream, new LayerDiffOptions { SourceDateEpoch = _sourceDateEpoch }, ct).ConfigureAwait(false);
            var blob = layer.Commit();
            var name = "step-" + _tag + Guid.NewGuid().ToString("N");
            Snapshotter.Commit(name, key);
            committed = true;
            return new FsState(name, [.. parent.Layers, blob], DateTimeOffset.UtcNow);
        }
        finally
        {
            if (!committed) Discard(key);
        }
    }

    /// <summary>Mounts a read-only view of <paramref name="state"/> for the duration of <paramref name="read"/>.</summary>
    public Task<T> WithViewAsync<T>(FsState state, Func<string, Task<T>> read, CancellationToken ct) =>
        WithTemporaryChildAsync("view-", Snapshotter.View, state, read, ct);

    /// <summary>
    /// Runs <paramref name="use"/> on a writable child of <paramref name="state"/> that is thrown away afterwards (a
    /// debug shell in a kept failure: what it changes never reaches the kept snapshot).
    /// </summary>
    public Task<T> WithScratchAsync<T>(FsState state, Func<string, Task<T>> use, CancellationToken ct) =>
        WithTemporaryChildAsync("active-", Snapshotter.Prepare, state, use, ct);

    /// <summary>A child snapshot of <paramref name="state"/> made by <paramref name="create"/>, mounted while
    /// <paramref name="use"/> runs and removed after it, whatever happens.</summary>
    private async Task<T> WithTemporaryChildAsync<T>(string kind, Func<string, string?, IReadOnlyList<Mount>> create, FsState state,
        Func<string, Task<T>> use, CancellationToken ct)
    {
        var snapshot = await SnapshotOfAsync(state, ct).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        var key = kind + _tag + Guid.NewGuid().ToString("N");
        var mounts = create(key, snapshot);
        try
        {
            T result = default!;
            await WithMountAsync(mounts, async dir => result = await use(dir).ConfigureAwait(false)).ConfigureAwait(false);
            return result;
        }
        finally
        {
            Discard(key);
        }
    }

    /// <summary>
    /// The committed snapshot holding <paramref name="state"/>'s files (null for the empty rootfs): its own, or, for layers
    /// not unpacked yet, their <see cref="LayerChain"/>, unpacked now where this store does not have it.
    /// </summary>
    private async Task<string?> SnapshotOfAsync(FsState state, CancellationToken ct) =>
        state.Snapshot ?? (state.IsEmpty ? null : await LayerChain.UnpackAsync(this, _store.Content, state.Layers, ct).ConfigureAwait(false));

    /// <summary>Whether this store can give <paramref name="state"/>'s files: its snapshot, or else every layer blob to
    /// unpack, is here (a cache record whose snapshot or blobs a prune removed is a miss).</summary>
    public bool Has(FsState state) =>
        state.Snapshot is { } snapshot ? Snapshotter.Exists(snapshot) : state.Layers.All(l => _store.Content.Exists(l.Blob.Digest));

    /// <summary>Makes sure committed snapshot <paramref name="name"/> exists, creating it from a layer on <paramref name="parent"/> if needed.</summary>
    public async Task<string> EnsureLayerAsync(string name, string? parent, Func<Func<Stream, Task>, CancellationToken, Task> openLayer, CancellationToken ct)
    {
        if (Snapshotter.Exists(name)) return name;
        var unpack = _unpacking.GetOrAdd(name, _ => new Lazy<Task<string>>(() => UnpackLayerAsync(name, parent, openLayer, ct)));
        try
        {
            return await unpack.Value.ConfigureAwait(false);
        }
        finally
        {
            _unpacking.TryRemove(new KeyValuePair<string, Lazy<Task<string>>>(name, unpack));
        }
    }

    private async Task<string> UnpackLayerAsync(string name, string? parent, Func<Func<Stream, Task>, CancellationToken, Task> openLayer, CancellationToken ct)
    {
        var key = "unpack-" + _tag + Guid.NewGuid().ToString("N");
        Snapshotter.Prepare(key, parent);
        try
        {
            await openLayer(tar => _differ.ApplyAsync(key, tar, ct), ct).ConfigureAwait(false);
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
            Discard(key);
            throw;
        }
    }

    /// <summary>
    /// Removes the snapshot of a step that failed. A second failure here (the disk that made the step fail is still
    /// full) must not hide the first: the snapshot stays, and this process's lease is kept so that the next start
    /// reclaims it (<see cref="StoreLeases.KeepForRecovery"/>).
    /// </summary>
    private void Discard(string key)
    {
        try
        {
            if (Snapshotter.Exists(key)) Snapshotter.Remove(key);
        }
        catch (Exception e) when (e is IOException or SbuildException or InvalidOperationException or UnauthorizedAccessException)
        {
            StoreLeases.KeepForRecovery(_store.Root);
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
