using Sbuild.Core;

namespace Sbuild.Snapshotter;

internal enum ChangeKind
{
    /// <summary>A file, directory, link or device present in the upper directory.</summary>
    Present,
    /// <summary>An overlay whiteout (0/0 character device): the path was deleted.</summary>
    Deleted,
    /// <summary>The OCI opaque marker for a directory overlay marked opaque (its lower content is hidden).</summary>
    OpaqueMarker,
}

/// <param name="ArchivePath">The path in the layer, relative, without trailing '/' (whiteouts already renamed to <c>.wh.NAME</c>).</param>
/// <param name="HostPath">The upper directory entry it comes from.</param>
internal sealed record UpperDirChange(string ArchivePath, string HostPath, ChangeKind Kind, Posix.FileStat Stat);

/// <summary>Lists an overlay upper directory as layer changes, sorted by archive path bytewise (so parents come before children).</summary>
internal static class UpperDirScanner
{
    private static readonly EnumerationOptions AllEntries = new() { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false };

    public static List<UpperDirChange> Scan(string upperDir)
    {
        var changes = new List<UpperDirChange>();
        Walk(upperDir, "", changes);
        changes.Sort((a, b) => Utf8OrdinalComparer.Instance.Compare(a.ArchivePath, b.ArchivePath));
        return changes;
    }

    private static void Walk(string dir, string archiveDir, List<UpperDirChange> changes)
    {
        foreach (var host in Directory.EnumerateFileSystemEntries(dir, "*", AllEntries))
        {
            var name = Path.GetFileName(host);
            var archivePath = archiveDir + name;
            var stat = Posix.LStat(host);
            if (stat.Type == Posix.FileStat.CharDevice && stat.RDev == 0)
            {
                changes.Add(new UpperDirChange(archiveDir + OciWhiteouts.Prefix + name, host, ChangeKind.Deleted, stat));
                continue;
            }
            changes.Add(new UpperDirChange(archivePath, host, ChangeKind.Present, stat));
            if (stat.Type != Posix.FileStat.Directory) continue;
            if (Xattrs.Get(host, OciWhiteouts.OverlayOpaqueXattr) is [(byte)'y'])
                changes.Add(new UpperDirChange(archivePath + "/" + OciWhiteouts.OpaqueMarker, host, ChangeKind.OpaqueMarker, stat));
            Walk(host, archivePath + "/", changes);
        }
    }
}
