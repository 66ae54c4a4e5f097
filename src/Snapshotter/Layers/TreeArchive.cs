namespace Sbuild.Snapshotter;

/// <summary>A whole directory tree as one tar, written by the layer writer (so with the same headers, order and links as a layer).</summary>
public static class TreeArchive
{
    /// <summary>Writes every entry below <paramref name="root"/> (not the root itself) to <paramref name="output"/>.</summary>
    public static async Task WriteAsync(string root, Stream output, CancellationToken cancellationToken)
    {
        using var tree = new AliasedTree(root);
        await LayerWriter.WriteAsync(tree, CopiedTreeChanges.Scan(tree, null, null), output, LayerDiffOptions.Default, cancellationToken).ConfigureAwait(false);
    }
}
