using Sbuild.Core;

namespace Sbuild.TestSupport;

/// <summary>The kind of a file system entry, as lstat reports it.</summary>
public enum FileKind
{
    Regular,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

/// <summary>lstat-style metadata of one path (the link itself for symlinks).</summary>
/// <param name="Permissions">Permission bits plus setuid/setgid/sticky (mode &amp; 07777).</param>
/// <param name="Device">The file system the entry lives on (a dev_t); with Inode it identifies hard links.</param>
/// <param name="MTimeSec">The modification time: seconds since the Unix epoch, and <paramref name="MTimeNsec"/> nanoseconds.</param>
public readonly record struct FileStat(
    FileKind Kind,
    int Permissions,
    uint Uid,
    uint Gid,
    long Size,
    ulong Device,
    ulong Inode,
    uint LinkCount,
    uint RdevMajor,
    uint RdevMinor,
    long MTimeSec,
    long MTimeNsec);

/// <summary>
/// Test-friendly names over <see cref="Posix"/> (owner, inode, device numbers, mknod, hard links): an enum for the file
/// type and modes as <see cref="UnixFileMode"/>. Failures surface as Posix's <see cref="SbuildException"/>.
/// </summary>
public static class UnixFs
{
    public static FileStat LStat(string path)
    {
        var s = Posix.LStat(path);
        return new FileStat(KindOf(s.Type, path), (int)s.Permissions, s.Uid, s.Gid, s.Size, s.Device, s.Inode, (uint)s.Links, s.Major, s.Minor, s.MTimeSec, s.MTimeNsec);
    }

    /// <summary>Sets the owner of <paramref name="path"/> itself (not a symlink's target).</summary>
    public static void LChown(string path, uint uid, uint gid) => Posix.LChown(path, uid, gid);

    public static void HardLink(string existing, string newPath) => Posix.Link(existing, newPath);

    /// <summary>Sets the access and modification times of <paramref name="path"/> itself (a symlink's own, not its target's).</summary>
    public static void SetTimes(string path, UnixTime time) => Posix.SetTimes(path, time.Seconds, time.Nanoseconds);

    public static void MakeFifo(string path, UnixFileMode mode) => MakeNode(path, Posix.FileStat.Fifo, 0, 0, mode);

    public static void MakeDevice(string path, FileKind kind, uint major, uint minor, UnixFileMode mode)
    {
        var type = kind switch
        {
            FileKind.CharDevice => Posix.FileStat.CharDevice,
            FileKind.BlockDevice => Posix.FileStat.BlockDevice,
            _ => throw new ArgumentException($"{kind} is not a device kind", nameof(kind)),
        };
        MakeNode(path, type, major, minor, mode);
    }

    private static void MakeNode(string path, uint type, uint major, uint minor, UnixFileMode mode)
    {
        Posix.MkNod(path, type | (uint)mode, major, minor);
        File.SetUnixFileMode(path, mode); // the umask applied by mknod must not change what the test asked for
    }

    private static FileKind KindOf(uint type, string path) => type switch
    {
        Posix.FileStat.Regular => FileKind.Regular,
        Posix.FileStat.Directory => FileKind.Directory,
        Posix.FileStat.Symlink => FileKind.Symlink,
        Posix.FileStat.CharDevice => FileKind.CharDevice,
        Posix.FileStat.BlockDevice => FileKind.BlockDevice,
        Posix.FileStat.Fifo => FileKind.Fifo,
        Posix.FileStat.Socket => FileKind.Socket,
        _ => throw new IOException($"{path}: unknown file type 0x{type:x}"),
    };
}
