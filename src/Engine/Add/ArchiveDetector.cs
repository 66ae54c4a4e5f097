using Sbuild.Archive.Compression;
using Sbuild.Archive.Tar;
using Sbuild.Core;

namespace Sbuild.Engine;

/// <summary>
/// Decides whether ADD unpacks a local file, by content and never by name: like BuildKit's isArchivePath, the file must
/// be a regular file that, once decompressed (gzip, bzip2, xz, zstd or none), starts with a well-formed tar header as
/// the one tar reader extraction uses reads it. A compressed file whose content is not a tar, an empty file and an
/// all-zero "end of archive" are copied as they are.
/// </summary>
public static class ArchiveDetector
{
    /// <summary>
    /// True when <paramref name="hostPath"/> is a tar archive ADD extracts. The path is not followed if it is a symlink
    /// (the caller resolves symlinks inside its source root first, so a link can never lead the check to host files).
    /// </summary>
    public static bool IsArchive(string hostPath) => TryDetect(hostPath, out _);

    /// <summary>Like <see cref="IsArchive"/>, also telling how the archive is compressed.</summary>
    public static bool TryDetect(string hostPath, out ArchiveCompression compression)
    {
        compression = ArchiveCompression.None;
        if (!Posix.TryLStat(hostPath, out var st) || st.Type != Posix.FileStat.Regular) return false;
        try
        {
            using var stream = Decompression.OpenFile(hostPath, out compression);
            return TarArchiveReader.StartsWithEntry(stream);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // Any decoding failure (bad gzip, truncated xz, unreadable file) means "not an archive": ADD copies it as is.
            return false;
        }
    }
}
