namespace Sbuild.Snapshotter;

/// <summary>The differ of <see cref="OverlaySnapshotter"/>: a snapshot's changes are exactly its upper directory.</summary>
public sealed class OverlayDiffer(OverlaySnapshotter snapshotter) : IDiffer
{
    public Task WriteDiffAsync(string key, Stream output, LayerDiffOptions options, CancellationToken cancellationToken) =>
        UpperDirLayerWriter.WriteAsync(snapshotter.UpperDir(key), output, options, cancellationToken);

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
