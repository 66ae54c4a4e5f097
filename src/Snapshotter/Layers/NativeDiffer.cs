namespace Sbuild.Snapshotter;

/// <summary>The differ of <see cref="NativeSnapshotter"/>: a snapshot's tree compared with its parent's (see <see cref="CopiedTreeChanges"/>).</summary>
public sealed class NativeDiffer(NativeSnapshotter snapshotter) : IDiffer
{
    public async Task WriteDiffAsync(string key, Stream output, LayerDiffOptions options, CancellationToken cancellationToken)
    {
        var (tree, parentTree, copy) = snapshotter.DiffSources(key);
        // Both trees are read through short aliases, so that a path as deep as a container can make fits PATH_MAX.
        using var treeAlias = new AliasedTree(tree);
        using var parentAlias = parentTree is null ? null : new AliasedTree(parentTree);
        var changes = CopiedTreeChanges.Scan(treeAlias, parentAlias, copy);
        await LayerWriter.WriteAsync(treeAlias, changes, output, options, cancellationToken).ConfigureAwait(false);
    }

    public Task ApplyAsync(string key, Stream layer, CancellationToken cancellationToken)
    {
        var snapshot = snapshotter.Stat(key);
        if (snapshot.Kind != SnapshotKind.Active)
            throw new InvalidOperationException($"snapshot \"{key}\" is {snapshot.Kind.ToString().ToLowerInvariant()}; layers can only be applied to active snapshots");
        return LayerApplier.ApplyAsync(layer, snapshotter.Tree(key), WhiteoutHandling.Delete, cancellationToken);
    }
}
