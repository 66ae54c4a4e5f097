namespace Sbuild.Archive.Tar;

/// <summary>Offsets and sizes of the POSIX ustar header block, shared by the reader and the writer.</summary>
internal static class TarFormat
{
    public const int BlockSize = 512;

    public const int NameOffset = 0, NameLength = 100;
    public const int ModeOffset = 100, UidOffset = 108, GidOffset = 116, IdLength = 8;
    public const int SizeOffset = 124, MTimeOffset = 136, LongNumberLength = 12;
    public const int TypeOffset = 156;
    public const int LinkNameOffset = 157;
    public const int MagicOffset = 257, VersionOffset = 263;
    public const int UserNameOffset = 265, GroupNameOffset = 297, OwnerNameLength = 32;
    public const int DevMajorOffset = 329, DevMinorOffset = 337;
    public const int PrefixOffset = 345, PrefixLength = 155;

    public const string PaxPath = "path", PaxLinkPath = "linkpath", PaxSize = "size", PaxUid = "uid", PaxGid = "gid", PaxMTime = "mtime";
    public const string PaxXattrPrefix = "SCHILY.xattr.";

    /// <summary>The largest value of an octal field of <paramref name="length"/> bytes (digits plus a terminating NUL).</summary>
    public static long MaxOctal(int length) => (1L << (3 * (length - 1))) - 1;

    public static long Padding(long size) => (BlockSize - size % BlockSize) % BlockSize;
}
