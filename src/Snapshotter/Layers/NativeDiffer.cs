namespace Sbuild.Snapshotter;

/// <summary>The differ of <see cref="NativeSnapshotter"/>: a snapshot's tree compared with its parent's (see <see cref="CopiedTreeChanges"/>).</summary>
public sealed class NativeDiffer(NativeSnapshotter snapshotter) : IDiffer
{
    public async Task WriteDiffAsync(string key, Stream output, LayerDiffOptions options, CancellationToken cancellationToken)
    {
        var (tree, parentTree, copy) = snapshotter.DiffSources(key);
        var changes = CopiedTreeChanges.Scan(tree, parentTree, copy);
        await LayerWriter.WriteAsync(tree, changes, output, options, cancellationToken).ConfigureAwait(false);
    }

    public Task ApplyAsync(string key, Stream layer, CancellationToken cancellationToken)
    {
        var snapshot = snapshotter.Stat(key);
        if (snapshot.Kind != SnapshotKind.Active)
            throw new InvalidOperationException($"snapshot \"{key}\" is {snapshot.Kind.ToString().ToLowerInvariant()}; layers can only be applied to active snapshots");
        return LayerApplier.ApplyAsync(layer, snapshotter.Tree(key), WhiteoutHandling.Delete, cancellationToken);
    }
}
