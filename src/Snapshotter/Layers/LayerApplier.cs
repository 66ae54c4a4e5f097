namespace Sbuild.Snapshotter;

/// <summary>What to do with the whiteouts (deletions) of a layer being applied.</summary>
public enum WhiteoutHandling
{
    /// <summary>Keep them as overlayfs markers (0/0 character devices, opaque xattrs): for a snapshot's upper directory.</summary>
    OverlayMarkers,
    /// <summary>Perform them (delete what the lower layers had): for a plain directory holding the merged tree.</summary>
    Delete,
}

/// <summary>Extracts uncompressed OCI layer tars.</summary>
public static class LayerApplier
{
    /// <summary>
    /// Extracts <paramref name="layer"/> into <paramref name="targetDir"/>, creating files, directories, links and devices
    /// with their modes, owners, times and xattrs. Nothing is written outside <paramref name="targetDir"/>: entries whose
    /// ".." parts climb out fail with SbuildException (InvalidArchive), and symlinks are never followed (a symlink in the
    /// way of an entry's parent is replaced by a directory, as overlayfs would show it).
    /// </summary>
    public static Task ApplyAsync(Stream layer, string targetDir, WhiteoutHandling whiteouts, CancellationToken cancellationToken) =>
        new LayerExtraction(Path.GetFullPath(targetDir), whiteouts).RunAsync(layer, cancellationToken);
}
