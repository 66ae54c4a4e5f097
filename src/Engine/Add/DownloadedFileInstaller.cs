using Sbuild.Core;

namespace Sbuild.Engine;

/// <summary>Puts a <see cref="DownloadedFile"/> into a rootfs with the COPY rules BuildKit applies to a URL source.</summary>
public static class DownloadedFileInstaller
{
    private const uint DownloadMode = 0x180; // 0600, as BuildKit's http source writes it

    /// <summary>
    /// ADD of a download: with <paramref name="unpack"/> (<c>--unpack=true</c>; BuildKit never unpacks URL sources
    /// otherwise) a tar archive is unpacked into <paramref name="destination"/> as a local one would be (--chown owns
    /// every entry, --chmod does not apply); anything else is installed as a file (<see cref="Install"/>).
    /// </summary>
    public static async Task AddAsync(DownloadedFile file, string rootfs, string destination, CopyOwnership ownership, bool unpack, CancellationToken ct)
    {
        if (unpack && ArchiveDetector.IsArchive(file.TempPath))
            await ArchiveExtractor.ExtractAsync(file.TempPath, rootfs, destination, ownership with { Mode = null, PreserveOwnership = true }, ct).ConfigureAwait(false);
        else
            Install(file, rootfs, destination, ownership);
    }

    /// <summary>
    /// Copies <paramref name="file"/> to <paramref name="destination"/> (absolute container path) in
    /// <paramref name="rootfs"/>: into it as <see cref="DownloadedFile.FileName"/> when it ends in '/' or is an existing
    /// directory, otherwise as that very name. Missing parents are created (0755). The file is owned by the --chown ids
    /// or 0:0, has mode 0600 unless --chmod says otherwise, and its mtime is the Last-Modified time (or the epoch).
    /// Returns the container path written.
    /// </summary>
    public static string Install(DownloadedFile file, string rootfs, string destination, CopyOwnership ownership)
    {
        var uid = ownership.Uid ?? 0;
        var gid = ownership.Gid ?? 0;
        var clean = RootPath.Clean(destination);
        var intoDirectory = destination.EndsWith('/') || Directory.Exists(RootPath.Resolve(rootfs, clean, followFinal: true));
        var target = intoDirectory ? clean.TrimEnd('/') + "/" + file.FileName : clean;
        var parent = Path.GetDirectoryName(target) ?? "/";
        FileCopier.MakeDirectories(rootfs, parent, uid, gid);

        var host = Path.Combine(RootPath.Resolve(rootfs, parent, followFinal: true), Path.GetFileName(target));
        if (Posix.TryLStat(host, out var existing))
        {
            if (existing.Type == Posix.FileStat.Directory)
                throw new SbuildException(ErrorCode.CopySourceNotFound, $"cannot add {file.Url} as {target}: a directory is in the way");
            File.Delete(host); // a symlink here is replaced, never written through
        }
        File.Copy(file.TempPath, host);
        Posix.LChown(host, uid, gid);
        Posix.Chmod(host, ownership.Mode?.Apply(DownloadMode, isDirectory: false) ?? DownloadMode); // after chown, which clears setuid bits
        Posix.SetTimes(host, file.ModificationTimeSeconds, 0);
        return target;
    }
}
