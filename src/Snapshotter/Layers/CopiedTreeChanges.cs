using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// The changes of a copy snapshotter's tree against its parent's tree: a double walk like continuity's, deciding with
/// the same <see cref="EntryComparer"/> as the overlay differ, so both give the same layer for the same trees. What the
/// <see cref="CopyRecord"/> proves untouched since the copy is not compared (the copy equals its source); without a
/// record every entry is.
/// </summary>
internal sealed class CopiedTreeChanges
{
    private readonly EntryComparer _comparer = new();
    private readonly List<LayerChange> _changes = [];
    private readonly CopyRecord? _copy;
    private readonly AliasedTree _tree;
    private readonly AliasedTree? _parentTree;

    private CopiedTreeChanges(AliasedTree tree, AliasedTree? parentTree, CopyRecord? copy) => (_tree, _parentTree, _copy) = (tree, parentTree, copy);

    /// <param name="tree">The snapshot's tree.</param>
    /// <param name="parentTree">The parent's tree; null for a snapshot without parent (everything is new).</param>
    /// <param name="copy">How <paramref name="tree"/> was copied from <paramref name="parentTree"/>, if known.</param>
    public static List<LayerChange> Scan(AliasedTree tree, AliasedTree? parentTree, CopyRecord? copy)
    {
        var scan = new CopiedTreeChanges(tree, parentTree, copy);
        var root = Posix.LStat(tree.Root);
        scan.Walk(tree.Root, "", root, parentTree?.Root, inPlace: parentTree is not null && copy is not null && copy.IsCopiedDirectory("", root.Inode));
        return scan._changes;
    }

    /// <param name="parentDir">The parent tree's directory at this path, if it has one there.</param>
    /// <param name="inPlace">This directory (and every one above it) is the one the copy made here, so the copy record speaks for its entries.</param>
    private void Walk(string dir, string archiveDir, Posix.FileStat dirStat, string? parentDir, bool inPlace)
    {
        dir = _tree.Directory(dir, archiveDir);
        if (parentDir is not null) parentDir = _parentTree!.Directory(parentDir, archiveDir);
        var entries = DirectoryEntries.WithStats(dir);
        // A directory nobody added to or removed from keeps its ctime; any other may have lost entries.
        if (parentDir is not null && (!inPlace || Touched(dirStat)))
        {
            var names = entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in DirectoryEntries.Names(parentDir))
                if (!names.Contains(gone)) _changes.Add(LayerChange.Deleted(ArchivePath.Join(archiveDir, gone)));
        }
        foreach (var (host, name, stat) in entries)
        {
            if (stat.Type == Posix.FileStat.Socket) continue; // tar cannot hold sockets; they are runtime artefacts anyway
            var path = ArchivePath.Join(archiveDir, name);
            var touched = !inPlace || Touched(stat);
            var isDirectory = stat.Type == Posix.FileStat.Directory;
            var parentPath = parentDir is null ? null : Path.Combine(parentDir, name);
            Posix.FileStat old = default;
            var inParent = parentPath is not null && (touched || isDirectory) && Posix.TryLStat(parentPath, out old);
            if (touched && (!inParent || !_comparer.Same(parentPath!, old, host, stat))) _changes.Add(LayerChange.Present(path, host, stat));
            if (!isDirectory) continue;
            var oldDir = inParent && old.Type == Posix.FileStat.Directory ? parentPath : null;
            Walk(host, path, stat, oldDir, inPlace && oldDir is not null && _copy!.IsCopiedDirectory(path, stat.Inode));
        }
    }

    private bool Touched(in Posix.FileStat stat) => stat.CTimeNs >= _copy!.Completed;
}
