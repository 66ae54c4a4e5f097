using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace Sbuild.Core;

/// <summary>
/// The POSIX calls .NET has no API for (ownership, lstat details, nanosecond times), and the file calls a path with
/// bytes that are not UTF-8 must go through (System.IO would name another file): every path is passed as the bytes it
/// stands for (<see cref="EscapedNames"/>). Source-generated P/Invoke.
/// </summary>
public static partial class Posix
{
    /// <summary>The parts of <c>struct stat</c> sbuild needs.</summary>
    public readonly record struct FileStat(uint Mode, uint Uid, uint Gid, ulong Inode, ulong Device, ulong Links, ulong RDev, long Size, long MTimeSec, long MTimeNsec,
        long CTimeSec = 0, long CTimeNsec = 0)
    {
        public const uint TypeMask = 0xF000;
        public const uint Regular = 0x8000, Directory = 0x4000, Symlink = 0xA000, CharDevice = 0x2000, BlockDevice = 0x6000, Fifo = 0x1000, Socket = 0xC000;
        public uint Type => Mode & TypeMask;
        /// <summary>Permission bits including setuid, setgid and sticky.</summary>
        public uint Permissions => Mode & 0xFFF;
        public uint Major => (uint)(((RDev >> 32) & 0xfffff000) | ((RDev >> 8) & 0xfff));
        public uint Minor => (uint)(((RDev >> 12) & 0xffffff00) | (RDev & 0xff));
        /// <summary>Modification time in nanoseconds since the epoch.</summary>
        public long MTimeNs => MTimeSec * 1_000_000_000 + MTimeNsec;
        /// <summary>Status change time (which no user call can set) in nanoseconds since the epoch.</summary>
        public long CTimeNs => CTimeSec * 1_000_000_000 + CTimeNsec;
    }

    public static FileStat LStat(string path)
    {
        if (StatX(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, out var sx) != 0) throw Error("lstat", path);
        return ToFileStat(sx);
    }

    public static bool TryLStat(string path, out FileStat stat)
    {
        stat = default;
        if (StatX(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, out var sx) != 0) return false;
        stat = ToFileStat(sx);
        return true;
    }

    /// <summary>fstat of an open descriptor (an O_PATH one too); false with errno left for the caller on failure.</summary>
    public static bool TryFStat(int fd, out FileStat stat)
    {
        stat = default;
        if (StatX(fd, "", AtEmptyPath | AtSymlinkNoFollow, StatxBasicStats, out var sx) != 0) return false;
        stat = ToFileStat(sx);
        return true;
    }

    private static FileStat ToFileStat(in Statx sx) =>
        new(sx.Mode, sx.Uid, sx.Gid, sx.Ino, Dev(sx.DevMajor, sx.DevMinor), sx.Nlink, Dev(sx.RDevMajor, sx.RDevMinor),
            (long)sx.Size, sx.MTime.Sec, sx.MTime.Nsec, sx.CTime.Sec, sx.CTime.Nsec);

    public static void LChown(string path, uint uid, uint gid)
    {
        if (LChownNative(path, uid, gid) != 0) throw Error("lchown", path);
    }

    /// <summary>Sets atime and mtime of <paramref name="path"/> itself (not a symlink's target), with nanoseconds.</summary>
    public static void SetTimes(string path, long sec, long nsec)
    {
        Span<TimeSpec> times = [new TimeSpec(sec, nsec), new TimeSpec(sec, nsec)];
        if (UtimensAt(AtFdCwd, path, times, AtSymlinkNoFollow) != 0) throw Error("utimensat", path);
    }

    public static void MkNod(string path, uint mode, uint major, uint minor)
    {
        var dev = ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
        if (MkNodNative(path, mode, dev) != 0) throw Error("mknod", path);
    }

    public static void Link(string existing, string newPath)
    {
        if (LinkNative(existing, newPath) != 0) throw Error("link", newPath);
    }

    /// <summary>rename(2): moves any kind of entry (a symlink itself, not its target) within one file system.</summary>
    public static void Rename(string oldPath, string newPath)
    {
        if (RenameNative(oldPath, newPath) != 0) throw Error("rename", oldPath);
    }

    public static void Chmod(string path, uint mode)
    {
        if (ChmodNative(path, mode) != 0) throw Error("chmod", path);
    }

    /// <summary>mkdir(2) with <paramref name="mode"/> (the umask applies); an existing entry is an error.</summary>
    public static void MkDir(string path, uint mode)
    {
        if (MkDirNative(path, mode) != 0) throw Error("mkdir", path);
    }

    /// <summary>Creates symbolic link <paramref name="path"/> holding <paramref name="target"/>'s bytes.</summary>
    public static void Symlink(string target, string path)
    {
        if (SymlinkNative(target, path) != 0) throw Error("symlink", path);
    }

    /// <summary>The target of symbolic link <paramref name="path"/>, decoded as <see cref="EscapedNames"/>.</summary>
    public static string ReadLink(string path)
    {
        for (var size = 256; ; size *= 4)
        {
            var buffer = new byte[size];
            var length = ReadLinkNative(path, buffer, (nuint)size);
            if (length < 0) throw Error("readlink", path);
            if (length < size) return EscapedNames.Decode(buffer.AsSpan(0, (int)length));
        }
    }

    /// <summary>Removes a non-directory entry (a symlink itself, never its target).</summary>
    public static void Unlink(string path)
    {
        if (UnlinkNative(path) != 0) throw Error("unlink", path);
    }

    /// <summary>A regular file opened for reading, without following a final symlink (nor taking .NET's advisory lock).</summary>
    public static FileStream OpenRead(string path) => new(OpenReadHandle(path), FileAccess.Read, bufferSize: 1);

    /// <summary>A new regular file (it must not exist) opened for writing, with <paramref name="mode"/> (the umask applies).</summary>
    public static FileStream CreateNew(string path, uint mode) => new(CreateNewHandle(path, mode), FileAccess.Write, bufferSize: 1);

    /// <inheritdoc cref="OpenRead"/>
    public static SafeFileHandle OpenReadHandle(string path) => Open(path, OpenNoFollow, 0);

    /// <inheritdoc cref="CreateNew"/>
    public static SafeFileHandle CreateNewHandle(string path, uint mode) => Open(path, OpenWriteOnly | OpenCreate | OpenExclusive | OpenNoFollow, mode);

    /// <summary>An O_PATH descriptor of a directory: it names the directory (as <c>/proc/self/fd/N</c>) without opening it for reading.</summary>
    public static SafeFileHandle OpenDirectoryPath(string path) => Open(path, OpenPath | OpenDirectory, 0);

    private static SafeFileHandle Open(string path, int flags, uint mode)
    {
        var fd = OpenNative(path, flags | OpenCloseOnExec, mode);
        return fd < 0 ? throw Error("open", path) : new SafeFileHandle(fd, ownsHandle: true);
    }

    public static SbuildException Error(string call, string path)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new SbuildException(ErrorCode.FileSystem, $"{call} {EscapedNames.Shown(path)}: {Marshal.GetPInvokeErrorMessage(errno)}", new IOException(Marshal.GetPInvokeErrorMessage(errno), errno));
    }

    private static ulong Dev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int OpenWriteOnly = 0x1, OpenCreate = 0x40, OpenExclusive = 0x80, OpenNoFollow = 0x20000, OpenCloseOnExec = 0x80000,
        OpenDirectory = 0x10000, OpenPath = 0x200000;

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct TimeSpec(long Sec, long Nsec);

    [StructLayout(LayoutKind.Sequential)]
    private struct StatxTimestamp { public long Sec; public uint Nsec; public int Reserved; }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct Statx
    {
        public uint Mask, Blksize;
        public ulong Attributes;
        public uint Nlink, Uid, Gid;
        public ushort Mode, Spare0;
        public ulong Ino, Size, Blocks, AttributesMask;
        public StatxTimestamp ATime, BTime, CTime, MTime;
        public uint RDevMajor, RDevMinor, DevMajor, DevMinor;
        public fixed ulong Spare2[14];
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial int StatX(int dirfd, string path, int flags, uint mask, out Statx buf);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial int LChownNative(string path, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial int UtimensAt(int dirfd, string path, ReadOnlySpan<TimeSpec> times, int flags);

    [LibraryImport("libc", EntryPoint = "mknod", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial int MkNodNative(string path, uint mode, ulong dev);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial int LinkNative(string existing, string newPath);

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial int RenameNative(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "chmod", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial int ChmodNative(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial int OpenNative(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial int MkDirNative(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "symlink", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial int SymlinkNative(string target, string path);

    [LibraryImport("libc", EntryPoint = "readlink", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial nint ReadLinkNative(string path, byte[] buffer, nuint size);

    [LibraryImport("libc", EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial int UnlinkNative(string path);
}
