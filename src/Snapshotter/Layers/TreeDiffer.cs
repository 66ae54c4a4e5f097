namespace Sbuild.Snapshotter;

/// <summary>
/// The layer between two whole trees (mounted snapshots, not necessarily parent and child), as moby's naive differ
/// makes it for <c>docker build --squash</c>: a double walk comparing every entry (<see cref="CopiedTreeChanges"/>
/// without a copy record), written by the same <see cref="LayerWriter"/> as every other layer. What the old tree has
/// and the new one lacks becomes a whiteout; what was added and removed again in between leaves no trace.
/// </summary>
public static class TreeDiffer
{
    /// <param name="tree">The tree after.</param>
    /// <param name="baseTree">The tree before; null for none (everything in <paramref name="tree"/> is new).</param>
    public static async Task WriteDiffAsync(string tree, string? baseTree, Stream output, LayerDiffOptions options, CancellationToken cancellationToken)
    {
        using var after = new AliasedTree(tree);
        using var before = baseTree is null ? null : new AliasedTree(baseTree);
        await LayerWriter.WriteAsync(after, CopiedTreeChanges.Scan(after, before, copy: null), output, options, cancellationToken).ConfigureAwait(false);
    }
}
