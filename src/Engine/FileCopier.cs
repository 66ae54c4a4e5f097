using Sbuild.Core;
using Sbuild.Parser;

namespace Sbuild.Engine;

/// <summary>How copied files are owned and moded. Null fields keep what the source has (or 0:0 for ownership, see <see cref="PreserveOwnership"/>).</summary>
public sealed record CopyOwnership(uint? Uid, uint? Gid, ChmodSpec? Mode, bool PreserveOwnership)
{
    /// <summary>
    /// A COPY's ownership: <paramref name="chown"/> (user[:group]) resolved in <paramref name="rootfs"/>'s /etc/passwd and
    /// /etc/group, <paramref name="chmod"/> (octal or symbolic) parsed.
    /// </summary>
    public static CopyOwnership Resolve(string rootfs, string? chown, string? chmod, bool preserveOwnership)
    {
        var mode = chmod is null ? null : ChmodSpec.Parse(chmod);
        if (chown is null) return new CopyOwnership(null, null, mode, preserveOwnership);
        var (uid, gid) = UserResolver.ResolveChown(rootfs, chown);
        return new CopyOwnership(uid, gid, mode, preserveOwnership);
    }
}

/// <summary>
/// COPY semantics as BuildKit's Dockerfile frontend applies them: wildcards, a directory source copies its
/// contents, a symlink named as a source is followed, the destination is a directory when it ends in '/' or
/// already is one, missing parents are created, modes and times are kept.
/// </summary>
public static class FileCopier
{
    /// <param name="sourceRoot">Host directory that the source paths are relative to (context dir or another stage's rootfs).</param>
    /// <param name="sources">Source paths as written (already expanded), relative to <paramref name="sourceRoot"/>.</param>
    /// <param name="destRoot">Host directory of the target rootfs.</param>
    /// <param name="destination">Absolute container path; a trailing '/' marks a directory.</param>
    /// <param name="ignore">.dockerignore rules of the build context: excluded paths are not there for COPY.</param>
    public static void Copy(string sourceRoot, IReadOnlyList<string> sources, string destRoot, string destination, CopyOwnership ownership, DockerIgnore? ignore = null)
    {
        ignore ??= DockerIgnore.Empty;
        var matches = sources.SelectMany(s => SourceMatcher.Expand(sourceRoot, s, ignore)).ToList();
        var destIsDir = destination.EndsWith('/') || matches.Count > 1
            || Directory.Exists(RootPath.Resolve(destRoot, destination, followFinal: true));
        var destClean = RootPath.Clean(destination);
        var uid = ownership.Uid ?? 0;
        var gid = ownership.Gid ?? 0;
        foreach (var (relative, host) in matches)
        {
            // BuildKit copies each match with a copier of its own: hard links are kept inside one directory that is
            // copied, never between two sources (or two wildcard matches) that are links to one file.
            var hardlinks = new Dictionary<(ulong, ulong), string>();
            var st = Posix.LStat(host);
            if (st.Type == Posix.FileStat.Directory)
            {
                // BuildKit copies a directory's contents (fsutil's CopyDirContents): the destination, if it has to be
                // made, is a plain mkdir -p (0755, the --chown owner or root); made or not, it then takes the source
                // directory's times. A build source's root has the time of the copy there (its snapshot's own root).
                var target = EnsureDirectory(destRoot, destClean, uid, gid);
                CopyChildren(host, target, relative, ownership, hardlinks, ignore, keepTimes: relative.Length > 0);
            }
            else
            {
                var targetPath = destIsDir ? destClean.TrimEnd('/') + "/" + Path.GetFileName(relative.TrimEnd('/')) : destClean;
                var parent = EnsureDirectory(destRoot, Path.GetDirectoryName(targetPath) ?? "/", uid, gid);
                CopyEntry(host, Path.Combine(parent, Path.GetFileName(targetPath)), relative, st, ownership, hardlinks, ignore);
            }
        }
    }

    /// <summary>mkdir -p <paramref name="containerPath"/> in the rootfs; directories it creates are 0755 and owned by uid:gid (WORKDIR).</summary>
    public static void MakeDirectories(string rootfs, string containerPath, uint uid, uint gid) =>
        EnsureDirectory(rootfs, containerPath, uid, gid);

    /// <summary>mkdir -p inside the rootfs (following symlinks there); new directories are 0755 and owned by uid:gid.</summary>
    private static string EnsureDirectory(string destRoot, string containerPath, uint uid, uint gid)
    {
        var host = RootPath.Resolve(destRoot, containerPath, followFinal: true);
        if (Directory.Exists(host)) return host;
        if (File.Exists(host) || Posix.TryLStat(host, out _))
            throw new SbuildException(ErrorCode.CopySourceNotFound, $"cannot copy to {containerPath}: it exists and is not a directory");
        var parentPath = Path.GetDirectoryName(containerPath.TrimEnd('/'));
        if (parentPath is not null) EnsureDirectory(destRoot, parentPath, uid, gid);
        Directory.CreateDirectory(host);
        Posix.Chmod(host, 0x1ED); // 0755 like mkdir -p in BuildKit
        Posix.LChown(host, uid, gid);
        return host;
    }

    private static void CopyChildren(string sourceDir, string targetDir, string relativeDir, CopyOwnership ownership,
        Dictionary<(ulong, ulong), string> hardlinks, DockerIgnore ignore, bool keepTimes)
    {
        foreach (var child in Directory.EnumerateFileSystemEntries(sourceDir).Order(StringComparer.Ordinal))
        {
            var relative = SourceMatcher.Join(relativeDir, Path.GetFileName(child));
            if (ignore.ExcludesEntry(relative, child)) continue;
            CopyEntry(child, Path.Combine(targetDir, Path.GetFileName(child)), relative, Posix.LStat(child), ownership, hardlinks, ignore);
        }
        if (keepTimes && Posix.TryLStat(sourceDir, out var st)) Posix.SetTimes(targetDir, st.MTimeSec, st.MTimeNsec);
    }

    private static void CopyEntry(string source, string target, string relative, Posix.FileStat st, CopyOwnership ownership,
        Dictionary<(ulong, ulong), string> hardlinks, DockerIgnore ignore)
    {
        if (st.Type == Posix.FileStat.Directory)
        {
            // lstat, not Directory.Exists: a symlink in the rootfs must never lead the copy out of it (BuildKit refuses too).
            if (Posix.TryLStat(target, out var existing))
            {
                if (existing.Type != Posix.FileStat.Directory)
                    throw new SbuildException(ErrorCode.CopySourceNotFound, $"cannot copy directory {Path.GetFileName(source)} to {target}: the destination exists and is not a directory");
            }
            else
            {
                Directory.CreateDirectory(target);
                ApplyMetadata(target, st, ownership, isDirectory: true);
            }
            CopyChildren(source, target, relative, ownership, hardlinks, ignore, keepTimes: true);
            return;
        }
        if (Directory.Exists(target) && !Posix.LStat(target).Type.Equals(Posix.FileStat.Symlink))
            throw new SbuildException(ErrorCode.CopySourceNotFound, $"cannot overwrite directory {target} with non-directory {Path.GetFileName(source)}");
        RemoveNonDirectory(target);

        if (st.Links > 1 && hardlinks.TryGetValue((st.Device, st.Inode), out var first))
        {
            Posix.Link(first, target);
            return;
        }
        switch (st.Type)
        {
            case Posix.FileStat.Regular:
                File.Copy(source, target);
                break;
            case Posix.FileStat.Symlink:
                File.CreateSymbolicLink(target, new FileInfo(source).LinkTarget!);
                break;
            case Posix.FileStat.CharDevice or Posix.FileStat.BlockDevice or Posix.FileStat.Fifo:
                Posix.MkNod(target, st.Mode, st.Major, st.Minor);
                break;
            default:
                return; // sockets are not copied, as in BuildKit
        }
        if (st.Links > 1) hardlinks[(st.Device, st.Inode)] = target;
        ApplyMetadata(target, st, ownership, isDirectory: false);
    }

    private static void ApplyMetadata(string path, Posix.FileStat st, CopyOwnership ownership, bool isDirectory)
    {
        var uid = ownership.Uid ?? (ownership.PreserveOwnership ? st.Uid : 0);
        var gid = ownership.Gid ?? (ownership.PreserveOwnership ? st.Gid : 0);
        Posix.LChown(path, uid, gid);
        if (st.Type != Posix.FileStat.Symlink)
            Posix.Chmod(path, ownership.Mode?.Apply(st.Permissions, isDirectory) ?? st.Permissions); // after chown, which clears setuid bits
        if (!isDirectory) Posix.SetTimes(path, st.MTimeSec, st.MTimeNsec);
    }

    private static void RemoveNonDirectory(string path)
    {
        if (Posix.TryLStat(path, out var st) && st.Type != Posix.FileStat.Directory) File.Delete(path);
    }
}
