namespace Sbuild.Snapshotter;

/// <summary>The snapshotter implementations; a store keeps each one's snapshots in a root of its own.</summary>
public enum SnapshotterKind
{
    /// <summary><see cref="OverlaySnapshotter"/>: overlayfs layers, the default.</summary>
    Overlay,
    /// <summary><see cref="NativeSnapshotter"/>: full copies, for hosts where overlayfs cannot be mounted.</summary>
    Native,
}

/// <summary>Opening a snapshotter of a kind, with its differ.</summary>
public static class Snapshotters
{
    /// <summary>The kind named <paramref name="name"/> (as in SBUILD_SNAPSHOTTER: overlay or native), or null.</summary>
    public static SnapshotterKind? Parse(string name) => name switch
    {
        "overlay" => SnapshotterKind.Overlay,
        "native" => SnapshotterKind.Native,
        _ => null,
    };

    public static DirectorySnapshotter Open(SnapshotterKind kind, string root) =>
        kind == SnapshotterKind.Overlay ? new OverlaySnapshotter(root) : new NativeSnapshotter(root);

    /// <summary>The differ of <paramref name="snapshotter"/>; <paramref name="mountRoot"/> holds the temporary mount points it may need.</summary>
    public static IDiffer DifferOf(ISnapshotter snapshotter, string mountRoot) => snapshotter switch
    {
        OverlaySnapshotter overlay => new OverlayDiffer(overlay, mountRoot),
        NativeSnapshotter native => new NativeDiffer(native),
        _ => throw new ArgumentException($"no differ for {snapshotter.GetType().Name}", nameof(snapshotter)),
    };
}
