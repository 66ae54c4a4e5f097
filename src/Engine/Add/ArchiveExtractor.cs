using Sbuild.Archive.Compression;
using Sbuild.Core;

namespace Sbuild.Engine;

/// <summary>Unpacks a local tar archive (plain or compressed) the way ADD does in BuildKit.</summary>
public static class ArchiveExtractor
{
    /// <summary>
    /// Extracts <paramref name="archivePath"/> (a host file; compression found from its first bytes) into
    /// <paramref name="destinationDir"/>, a container path inside <paramref name="rootfs"/> that is created (mkdir -p,
    /// 0755, owned by the --chown ids or root) if missing. Entries keep their modes, times and — unless
    /// <paramref name="ownership"/> gives --chown ids — their archive owners; --chmod does not apply to unpacked
    /// content, as in BuildKit. Existing files are replaced and existing directories merged. Nothing is written outside
    /// the destination: ".." names that climb out, and symlinks leading out, fail with SbuildException (InvalidArchive).
    /// </summary>
    public static async Task ExtractAsync(string archivePath, string rootfs, string destinationDir, CopyOwnership ownership, CancellationToken ct)
    {
        FileCopier.MakeDirectories(rootfs, destinationDir, ownership.Uid ?? 0, ownership.Gid ?? 0);
        var hostRoot = RootPath.Resolve(rootfs, destinationDir, followFinal: true);
        var archiveName = Path.GetFileName(archivePath);
        var extraction = new ArchiveExtraction(new ExtractionRoot(hostRoot, archiveName), ownership, archiveName);
        try
        {
            await using var stream = Decompression.OpenFile(archivePath, out _);
            await extraction.RunAsync(stream, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (Decompression.IsCorruptInput(e))
        {
            throw new SbuildException(ErrorCode.InvalidArchive, $"archive {archiveName} is damaged or not a tar archive: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SbuildException(ErrorCode.FileSystem, $"cannot extract archive {archiveName} into {destinationDir}: {e.Message}", e);
        }
    }
}
