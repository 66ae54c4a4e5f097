namespace Sbuild.Snapshotter;

/// <summary>
/// The differ of <see cref="OverlaySnapshotter"/>: a snapshot's candidate changes are its upper directory, checked
/// against the parent's tree, which is mounted read-only on a directory under <paramref name="mountRoot"/> while it is
/// compared (see <see cref="UpperDirChanges"/>).
/// </summary>
public sealed class OverlayDiffer(OverlaySnapshotter snapshotter, string mountRoot) : IDiffer
{
    public async Task WriteDiffAsync(string key, Stream output, LayerDiffOptions options, CancellationToken cancellationToken)
    {
        // Both trees are read through short aliases, so that a path as deep as a container can make fits PATH_MAX.
        using var upper = new AliasedTree(snapshotter.UpperDir(key));
        var parent = snapshotter.ParentMounts(key);
        List<LayerChange> changes;
        if (parent.Count == 0 || !Directory.EnumerateFileSystemEntries(upper.Root).Any()) // nothing to compare with, or nothing to compare
        {
            changes = UpperDirChanges.Scan(upper, lowerRoot: null);
        }
        else
        {
            var target = Directory.CreateDirectory(Path.Combine(mountRoot, "diff-" + Guid.NewGuid().ToString("N")[..12])).FullName;
            try
            {
                using (Mounter.MountAll(parent, target))
                using (var lower = new AliasedTree(target)) // opened once mounted: the alias is the mounted tree
                    changes = UpperDirChanges.Scan(upper, lower);
            }
            finally
            {
                Directory.Delete(target);
            }
        }
        await LayerWriter.WriteAsync(upper, changes, output, options, cancellationToken).ConfigureAwait(false);
    }

    public Task ApplyAsync(string key, Stream layer, CancellationToken cancellationToken)
    {
        var snapshot = snapshotter.Stat(key);
        if (snapshot.Kind != SnapshotKind.Active)
            throw new InvalidOperationException($"snapshot \"{key}\" is {snapshot.Kind.ToString().ToLowerInvariant()}; layers can only be applied to active snapshots");
        // Without a parent there is nothing below to hide, and the directory is mounted as is: no markers wanted.
        var whiteouts = snapshot.Parent is null ? WhiteoutHandling.Delete : WhiteoutHandling.OverlayMarkers;
        return LayerApplier.ApplyAsync(layer, snapshotter.UpperDir(key), whiteouts, cancellationToken);
    }
}
