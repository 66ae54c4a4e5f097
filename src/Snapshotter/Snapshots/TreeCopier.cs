using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// A full copy of a directory tree that keeps everything a layer can carry: file types (devices, fifos, sockets,
/// symlinks), owners, modes with setuid/setgid/sticky bits, xattrs, modification times to the nanosecond, and hard
/// link groups (paths sharing an inode in the source share one in the copy). Nothing in the copy is shared with the
/// source except extents a reflink shares copy-on-write (<see cref="FileClone"/>).
/// </summary>
internal sealed class TreeCopier
{
    private readonly Dictionary<(ulong Device, ulong Inode), string> _firstCopyOfInode = [];
    private readonly Dictionary<string, ulong> _directoryInodes = new(StringComparer.Ordinal);
    // Both trees are walked by paths that fit PATH_MAX however deep they go (a container can make such a tree).
    private readonly AliasedTree _source;
    private readonly AliasedTree _target;

    private TreeCopier(AliasedTree source, AliasedTree target) => (_source, _target) = (source, target);

    /// <summary>Copies <paramref name="source"/> to <paramref name="target"/> (which must not exist); returns each copied directory's inode by relative path ("" for the root).</summary>
    public static Dictionary<string, ulong> Copy(string source, string target)
    {
        using var sourceTree = AliasedTree.AtPath(source);
        using var targetTree = AliasedTree.AtPath(target);
        var copier = new TreeCopier(sourceTree, targetTree);
        copier.CopyDirectory(source, target, "", Posix.LStat(source));
        return copier._directoryInodes;
    }

    private void CopyDirectory(string source, string target, string relative, Posix.FileStat stat)
    {
        if (relative.Length == 0) Directory.CreateDirectory(target); // the copy's root, in the store
        else Posix.MkDir(target, 0b111_000_000); // 0700 until its metadata is copied, last
        source = _source.Directory(source, relative);
        target = _target.Directory(target, relative);
        _directoryInodes[relative] = Posix.LStat(target).Inode;
        foreach (var child in DirectoryEntries.Paths(source))
        {
            var name = Path.GetFileName(child);
            var childTarget = Path.Combine(target, name);
            var childStat = Posix.LStat(child);
            if (childStat.Type == Posix.FileStat.Directory) CopyDirectory(child, childTarget, ArchivePath.Join(relative, name), childStat);
            else CopyEntry(child, childTarget, childStat);
        }
        ApplyMetadata(source, target, stat); // last: creating the children changed the directory's times
    }

    private void CopyEntry(string source, string target, Posix.FileStat stat)
    {
        if (stat.Links > 1)
        {
            if (_firstCopyOfInode.TryGetValue((stat.Device, stat.Inode), out var first))
            {
                Posix.Link(first, target); // a hard link shares its inode's metadata: nothing more to set
                return;
            }
            _firstCopyOfInode[(stat.Device, stat.Inode)] = target;
        }
        switch (stat.Type)
        {
            case Posix.FileStat.Regular:
                FileClone.Copy(source, target);
                break;
            case Posix.FileStat.Symlink:
                Posix.Symlink(Posix.ReadLink(source), target);
                break;
            default: // character and block devices, fifos, sockets: the node itself, with its device number
                Posix.MkNod(target, stat.Mode, stat.Major, stat.Minor);
                break;
        }
        ApplyMetadata(source, target, stat);
    }

    /// <summary>Owner first (chown clears setuid bits and security.capability), then mode, then xattrs, then times.</summary>
    private static void ApplyMetadata(string source, string target, in Posix.FileStat stat)
    {
        Posix.LChown(target, stat.Uid, stat.Gid);
        if (stat.Type != Posix.FileStat.Symlink) Posix.Chmod(target, stat.Permissions);
        foreach (var name in Xattrs.List(source))
            if (Xattrs.Get(source, name) is { } value) Xattrs.Set(target, name, value);
        Posix.SetTimes(target, stat.MTimeSec, stat.MTimeNsec);
    }
}
