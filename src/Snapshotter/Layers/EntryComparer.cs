using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// Whether an entry of a new tree is the same as the entry at its path in the old tree, the way continuity's
/// <c>sameFile</c> decides it (and BuildKit's overlay differ after it), with two additions: every xattr is compared, not
/// only <c>security.capability</c>, and a symlink's target always is. Same type, mode, owner, device number and xattrs;
/// for non-directories also size and modification time; a regular file whose times both lack nanoseconds (unpacked from
/// a tar, where they were cut) is compared by content. A directory's modification time is left out: it changes with
/// its entries, which are compared themselves. Content comparisons are remembered per pair of inodes, so a hard link
/// group is read once.
/// </summary>
internal sealed class EntryComparer
{
    private const int BufferSize = 64 * 1024;
    private readonly Dictionary<(ulong, ulong, ulong, ulong), bool> _contentVerdicts = [];
    private byte[]? _oldBuffer, _newBuffer;

    public bool Same(string oldPath, in Posix.FileStat old, string newPath, in Posix.FileStat @new)
    {
        if (old.Mode != @new.Mode || old.Uid != @new.Uid || old.Gid != @new.Gid || old.RDev != @new.RDev) return false;
        if (!SameXattrs(oldPath, newPath)) return false;
        if (old.Type == Posix.FileStat.Directory) return true;
        if (old.Size != @new.Size || old.MTimeSec != @new.MTimeSec) return false;
        if (old.Type == Posix.FileStat.Symlink && Posix.ReadLink(oldPath) != Posix.ReadLink(newPath)) return false;
        if (old.MTimeNsec != 0 || @new.MTimeNsec != 0) return old.MTimeNsec == @new.MTimeNsec;
        return old.Type != Posix.FileStat.Regular || old.Size == 0 || SameContent(oldPath, old, newPath, @new);
    }

    private static bool SameXattrs(string oldPath, string newPath)
    {
        var oldNames = LayerXattrs.Names(oldPath);
        var newNames = LayerXattrs.Names(newPath);
        if (!oldNames.SequenceEqual(newNames)) return false;
        foreach (var name in oldNames)
            if (!(Xattrs.Get(oldPath, name) ?? []).AsSpan().SequenceEqual(Xattrs.Get(newPath, name))) return false;
        return true;
    }

    private bool SameContent(string oldPath, in Posix.FileStat old, string newPath, in Posix.FileStat @new)
    {
        var inodes = (old.Device, old.Inode, @new.Device, @new.Inode);
        if (_contentVerdicts.TryGetValue(inodes, out var known)) return known;
        _oldBuffer ??= new byte[BufferSize];
        _newBuffer ??= new byte[BufferSize];
        using var oldFile = Posix.OpenRead(oldPath);
        using var newFile = Posix.OpenRead(newPath);
        var same = true;
        while (same)
        {
            var read = oldFile.ReadAtLeast(_oldBuffer, BufferSize, throwOnEndOfStream: false);
            same = newFile.ReadAtLeast(_newBuffer, BufferSize, throwOnEndOfStream: false) == read
                   && _oldBuffer.AsSpan(0, read).SequenceEqual(_newBuffer.AsSpan(0, read));
            if (read < BufferSize) break;
        }
        return _contentVerdicts[inodes] = same;
    }
}
