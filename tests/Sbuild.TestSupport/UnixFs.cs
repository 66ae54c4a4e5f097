using System.Runtime.InteropServices;

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
/// <param name="Device">The file system the entry lives on (major &lt;&lt; 32 | minor); with Inode it identifies hard links.</param>
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
    uint RdevMinor);

/// <summary>
/// The Unix file calls .NET does not expose (owner, inode, device numbers, mknod, hard links), via libc.
/// lstat goes through statx because its struct layout is the same on every architecture, unlike struct stat.
/// </summary>
public static partial class UnixFs
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;

    private const int SIfMt = 0xF000;

    public static FileStat LStat(string path)
    {
        Check(statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, out var s), "statx", path);
        var kind = (s.Mode & SIfMt) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.Symlink,
            0x2000 => FileKind.CharDevice,
            0x6000 => FileKind.BlockDevice,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            var other => throw new IOException($"{path}: unknown file type 0x{other:x}"),
        };
        var device = ((ulong)s.DevMajor << 32) | s.DevMinor;
        return new FileStat(kind, s.Mode & 0xFFF, s.Uid, s.Gid, (long)s.Size, device, s.Ino, s.Nlink, s.RdevMajor, s.RdevMinor);
    }

    /// <summary>Sets the owner of <paramref name="path"/> itself (not a symlink's target).</summary>
    public static void LChown(string path, uint uid, uint gid) => Check(lchown(path, uid, gid), "lchown", path);

    public static void HardLink(string existing, string newPath) => Check(link(existing, newPath), "link", newPath);

    public static void MakeFifo(string path, UnixFileMode mode)
    {
        Check(mkfifo(path, (uint)mode), "mkfifo", path);
        File.SetUnixFileMode(path, mode); // the umask applied by mkfifo must not change what the test asked for
    }

    public static void MakeDevice(string path, FileKind kind, uint major, uint minor, UnixFileMode mode)
    {
        var type = kind switch
        {
            FileKind.CharDevice => 0x2000u,
            FileKind.BlockDevice => 0x6000u,
            _ => throw new ArgumentException($"{kind} is not a device kind", nameof(kind)),
        };
        Check(mknod(path, type | (uint)mode, MakeDev(major, minor)), "mknod", path);
        File.SetUnixFileMode(path, mode);
    }

    /// <summary>glibc's makedev encoding of a dev_t.</summary>
    private static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    private static void Check(int rc, string call, string path)
    {
        if (rc != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"{call}({path}) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
    }

    /// <summary>struct statx (linux/stat.h): 256 bytes, fields at fixed offsets on all architectures.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    private struct Statx
    {
        public uint Mask;
        public uint BlkSize;
        public ulong Attributes;
        public uint Nlink;
        public uint Uid;
        public uint Gid;
        public ushort Mode;
        public ushort Spare0;
        public ulong Ino;
        public ulong Size;
        public ulong Blocks;
        public ulong AttributesMask;
        public StatxTimestamp Atime;
        public StatxTimestamp Btime;
        public StatxTimestamp Ctime;
        public StatxTimestamp Mtime;
        public uint RdevMajor;
        public uint RdevMinor;
        public uint DevMajor;
        public uint DevMinor;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct StatxTimestamp
    {
        public long Seconds;
        public uint Nanoseconds;
        public int Reserved;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, out Statx buffer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, uint owner, uint group);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldPath, string newPath);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkfifo(string path, uint mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mknod(string path, uint mode, ulong dev);
}
