using Sbuild.Core;

namespace Sbuild.Archive.Tar;

/// <summary>The entry types sbuild reads and writes (tar typeflags); the reader refuses any other.</summary>
public enum TarEntryKind : byte
{
    File = (byte)'0',
    HardLink = (byte)'1',
    Symlink = (byte)'2',
    CharDevice = (byte)'3',
    BlockDevice = (byte)'4',
    Directory = (byte)'5',
    Fifo = (byte)'6',
}

public static class TarEntryKindExtensions
{
    /// <summary>The st_mode file type bits mknod needs for a device or FIFO entry.</summary>
    public static uint MknodFileType(this TarEntryKind kind) => kind switch
    {
        TarEntryKind.CharDevice => Posix.FileStat.CharDevice,
        TarEntryKind.BlockDevice => Posix.FileStat.BlockDevice,
        TarEntryKind.Fifo => Posix.FileStat.Fifo,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "only devices and FIFOs are made with mknod"),
    };
}

/// <summary>
/// One tar entry's metadata. <see cref="Name"/> and <see cref="LinkName"/> keep their archived bytes, UTF-8 or not, in
/// <see cref="EscapedNames"/> form. <see cref="Name"/> is the path as archived (sbuild writes relative paths without a
/// leading "./", directories with a trailing '/'). Owners are numeric only. <see cref="ModificationTime"/> is Unix seconds.
/// </summary>
public sealed record TarHeader
{
    public required string Name { get; init; }
    public required TarEntryKind Kind { get; init; }
    /// <summary>Permission bits with setuid, setgid and sticky (mode &amp; 07777).</summary>
    public uint Mode { get; init; }
    public long Uid { get; init; }
    public long Gid { get; init; }
    /// <summary>Data bytes that follow the header; only regular files have any.</summary>
    public long Size { get; init; }
    /// <summary>Whole seconds since the epoch (negative before it); the fraction is in <see cref="ModificationTimeNanoseconds"/>.</summary>
    public long ModificationTime { get; init; }
    /// <summary>
    /// The sub-second part of the time, 0–999,999,999; only a PAX <c>mtime</c> record carries one. The writer keeps whole
    /// seconds (layer bytes must not depend on sub-second noise), so it writes no fraction.
    /// </summary>
    public int ModificationTimeNanoseconds { get; init; }
    /// <summary>Symlink target, or for a hard link the archive path of the entry it links to.</summary>
    public string LinkName { get; init; } = "";
    public uint DeviceMajor { get; init; }
    public uint DeviceMinor { get; init; }
    /// <summary>Extended attributes (PAX <c>SCHILY.xattr.NAME</c> records), values as raw bytes.</summary>
    public IReadOnlyDictionary<string, byte[]> Xattrs { get; init; } = EmptyXattrs;

    public static IReadOnlyDictionary<string, byte[]> EmptyXattrs { get; } = new Dictionary<string, byte[]>();
}
