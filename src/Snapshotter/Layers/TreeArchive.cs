namespace Sbuild.Snapshotter;

/// <summary>A whole directory tree as one tar, written by the layer writer (so with the same headers, order and links as a layer).</summary>
public static class TreeArchive
{
    /// <summary>Writes every entry below <paramref name="root"/> (not the root itself) to <paramref name="output"/>.</summary>
    public static Task WriteAsync(string root, Stream output, CancellationToken cancellationToken) =>
        LayerWriter.WriteAsync(root, CopiedTreeChanges.Scan(root, null, null), output, LayerDiffOptions.Default, cancellationToken);
}
