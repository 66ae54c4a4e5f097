using Sbuild.Core;

namespace Sbuild.Snapshotter;

internal enum ChangeKind
{
    /// <summary>A file, directory, link or device of the new tree that is not in the old one, or differs from it.</summary>
    Present,
    /// <summary>A path of the old tree that the new one lacks: written as an OCI whiteout <c>.wh.NAME</c>.</summary>
    Deleted,
}

/// <summary>One entry of a layer, before it is written.</summary>
/// <param name="ArchivePath">The path in the layer, relative, without trailing '/' (whiteouts already named <c>.wh.NAME</c>).</param>
/// <param name="HostPath">Where a present entry's file is (unused for deletions).</param>
internal sealed record LayerChange(string ArchivePath, string HostPath, ChangeKind Kind, Posix.FileStat Stat)
{
    public static LayerChange Present(string archivePath, string hostPath, Posix.FileStat stat) => new(archivePath, hostPath, ChangeKind.Present, stat);

    public static LayerChange Deleted(string archivePath)
    {
        var (parent, name) = Snapshotter.ArchivePath.Split(archivePath);
        return new LayerChange(Snapshotter.ArchivePath.Join(parent, OciWhiteouts.Prefix + name), "", ChangeKind.Deleted, default);
    }
}
