using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// The changes of an overlay upper directory against the tree below it, found as BuildKit's overlay differ finds them:
/// an upper entry is a change when the lower tree lacks it or has something different there (<see cref="EntryComparer"/>),
/// so a file copied up without a real change (chmod to the same mode, a rename back and forth) is left out; a whiteout is
/// a deletion when the lower tree has the path; an opaque directory that hides a lower directory becomes whiteouts for
/// the lower entries it does not show again. The layer therefore depends only on the trees before and after, never on
/// how overlayfs got there (a directory renamed into place is opaque, one made there is not), which is what lets the
/// copy snapshotter produce the same bytes.
/// </summary>
internal sealed class UpperDirChanges
{
    private readonly EntryComparer _comparer = new();
    private readonly List<LayerChange> _changes = [];

    private readonly AliasedTree _upper;
    private readonly AliasedTree? _lower;

    private UpperDirChanges(AliasedTree upper, AliasedTree? lower) => (_upper, _lower) = (upper, lower);

    /// <param name="upperDir">The snapshot's own layer directory.</param>
    /// <param name="lowerRoot">The parent's merged tree, mounted read-only; null for a snapshot without parent.</param>
    public static List<LayerChange> Scan(AliasedTree upperDir, AliasedTree? lowerRoot)
    {
        var scan = new UpperDirChanges(upperDir, lowerRoot);
        scan.Walk(upperDir.Root, "", lowerRoot?.Root, replaced: false);
        return scan._changes;
    }

    /// <param name="lower">The lower tree's directory at this path, if it has one there.</param>
    /// <param name="replaced">The upper directory hides <paramref name="lower"/> entirely (it or a parent is opaque).</param>
    private void Walk(string upper, string archiveDir, string? lower, bool replaced)
    {
        upper = _upper.Directory(upper, archiveDir);
        if (lower is not null) lower = _lower!.Directory(lower, archiveDir);
        var entries = DirectoryEntries.WithStats(upper);
        if (replaced)
        {
            var shown = entries.Where(e => !IsWhiteout(e.Stat)).Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var hidden in DirectoryEntries.Names(lower!))
                if (!shown.Contains(hidden)) _changes.Add(LayerChange.Deleted(ArchivePath.Join(archiveDir, hidden)));
        }
        foreach (var (host, name, stat) in entries)
        {
            var path = ArchivePath.Join(archiveDir, name);
            var lowerPath = lower is null ? null : Path.Combine(lower, name);
            Posix.FileStat lowerStat = default;
            var inLower = lowerPath is not null && Posix.TryLStat(lowerPath, out lowerStat);
            if (IsWhiteout(stat))
            {
                if (inLower && !replaced) _changes.Add(LayerChange.Deleted(path)); // when replaced, the listing above covers it
                continue;
            }
            if (stat.Type == Posix.FileStat.Socket) continue; // tar cannot hold sockets; they are runtime artefacts anyway
            RefuseHiddenData(host);
            if (!inLower || !_comparer.Same(lowerPath!, lowerStat, host, stat)) _changes.Add(LayerChange.Present(path, host, stat));
            if (stat.Type != Posix.FileStat.Directory) continue;
            var lowerDir = inLower && lowerStat.Type == Posix.FileStat.Directory ? lowerPath : null;
            Walk(host, path, lowerDir, lowerDir is not null && (replaced || IsOpaque(host)));
        }
    }

    private static bool IsWhiteout(in Posix.FileStat stat) => stat.Type == Posix.FileStat.CharDevice && stat.RDev == 0;

    private static bool IsOpaque(string dir) => Xattrs.Get(dir, OciWhiteouts.OverlayOpaqueXattr) is [(byte)'y'];

    /// <summary>Metacopy and redirect_dir entries point at data elsewhere, which a layer cannot carry; the mount options turn them off.</summary>
    private static void RefuseHiddenData(string host)
    {
        foreach (var name in Xattrs.List(host))
            if (name is "trusted.overlay.metacopy" or "trusted.overlay.redirect")
                throw new SbuildException(ErrorCode.StoreCorrupt,
                    $"{host} carries {name}: the snapshot was mounted with overlay metacopy or redirect_dir, which a layer cannot represent");
    }
}
