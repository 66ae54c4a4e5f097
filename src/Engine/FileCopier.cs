using Sbuild.Core;
using Sbuild.Parser;
using Sbuild.Snapshotter;

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
/// COPY semantics as BuildKit's Dockerfile frontend and fsutil's copier apply them: wildcards, a directory source copies
/// its contents, a symlink named as a source is followed, the destination is a directory when it ends in '/' or
/// already is one, missing parents are created, modes and times are kept, a directory below the source that exists in
/// the destination takes the source's metadata, and include/exclude patterns (<see cref="CopySelection"/>) pick what
/// below each source is copied.
/// </summary>
public static class FileCopier
{
    /// <param name="sourceRoot">Host directory that the source paths are relative to (context dir or another stage's rootfs).</param>
    /// <param name="selection">Source paths as written (already expanded), relative to <paramref name="sourceRoot"/>, and their patterns.</param>
    /// <param name="destRoot">Host directory of the target rootfs.</param>
    /// <param name="destination">Absolute container path; a trailing '/' marks a directory.</param>
    /// <param name="ignore">.dockerignore rules of the build context: excluded paths are not there for COPY.</param>
    public static void Copy(string sourceRoot, CopySelection selection, string destRoot, string destination, CopyOwnership ownership, DockerIgnore? ignore = null)
    {
        ignore ??= DockerIgnore.Empty;
        Copy(selection.Resolve(sourceRoot, ignore), destRoot, destination, ownership, ignore);
    }

    /// <summary>Copies sources already resolved (<see cref="CopySelection.Resolve"/>), so a matched name is never matched again.</summary>
    internal static void Copy(IReadOnlyList<CopyMatch> matches, string destRoot, string destination, CopyOwnership ownership, DockerIgnore ignore)
    {
        var destIsDir = destination.EndsWith('/') || matches.Count > 1
            || Directory.Exists(RootPath.Resolve(destRoot, destination, followFinal: true));
        var destClean = RootPath.Clean(destination);
        var uid = ownership.Uid ?? 0;
        var gid = ownership.Gid ?? 0;
        foreach (var match in matches)
        {
            // BuildKit copies each match with a copier of its own: hard links are kept inside one directory that is
            // copied, never between two sources (or two wildcard matches) that are links to one file.
            var copier = new Copier(ownership, ignore);
            var st = Posix.LStat(match.Host);
            if (st.Type == Posix.FileStat.Directory)
            {
                // BuildKit copies a directory's contents (fsutil's CopyDirContents): the destination, if it has to be
                // made, is a plain mkdir -p (0755, the --chown owner or root); made or not, it then takes the source
                // directory's times. A build source's root has the time of the copy there (its snapshot's own root).
                var target = EnsureDirectory(destRoot, destClean, uid, gid);
                copier.CopyChildren(match.Host, target, match.Relative, "", match.Filter);
                copier.Finish();
                if (match.Relative.Length > 0) Posix.SetTimes(target, st.MTimeSec, st.MTimeNsec);
            }
            else
            {
                var targetPath = destIsDir ? destClean.TrimEnd('/') + "/" + Path.GetFileName(match.Relative.TrimEnd('/')) : destClean;
                var parent = EnsureDirectory(destRoot, Path.GetDirectoryName(targetPath) ?? "/", uid, gid);
                copier.CopyFile(match.Host, Path.Combine(parent, Path.GetFileName(targetPath)), st);
                copier.Finish();
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

    /// <summary>
    /// One copy's walk: its ownership rules, the hard links it has made, and directories not made yet. The walk makes
    /// the tree's directories, symlinks and special files in order; the regular files' data, the second links of
    /// hard-linked files and the copied directories' times follow in <see cref="Finish"/>, the files several at a time
    /// (a COPY of thousands of small files spends its time in the file system's create path, per file).
    /// </summary>
    private sealed class Copier(CopyOwnership ownership, DockerIgnore ignore)
    {
        /// <summary>What a directory is made with before its source's metadata is applied (umask aside).</summary>
        private const uint NewDirectoryMode = 0b111_000_000;
        private readonly Dictionary<(ulong, ulong), string> _hardlinks = [];
        private readonly List<(string Source, string Target, Posix.FileStat Stat)> _files = [];
        private readonly List<(string First, string Target)> _links = [];
        // Set last: making a file in a directory changes the directory's mtime.
        private readonly List<(string Target, Posix.FileStat Source)> _directoryTimes = [];

        // Directories entered but not copied themselves (not matched by the include pattern, or excluded with a
        // '!pattern' that may bring something below back): made, with the source's metadata, only once something
        // below them is copied, as fsutil's copier delays them.
        private readonly List<(string Target, Posix.FileStat Source, bool Made)> _pending = [];

        /// <param name="relativeDir">The directory's path below the source root (what .dockerignore rules match).</param>
        /// <param name="belowDir">Its path below the copied source (what the copy's own patterns match; "" is the source).</param>
        public void CopyChildren(string sourceDir, string targetDir, string relativeDir, string belowDir, CopyFilter filter)
        {
            foreach (var name in DirectoryListing.Names(sourceDir).Order(StringComparer.Ordinal))
            {
                var child = Path.Combine(sourceDir, name);
                var relative = SourceMatcher.Join(relativeDir, name);
                if (ignore.ExcludesEntry(relative, child)) continue;
                CopyEntry(child, Path.Combine(targetDir, name), relative, SourceMatcher.Join(belowDir, name), filter);
            }
        }

        private void CopyEntry(string source, string target, string relative, string below, CopyFilter filter)
        {
            var st = Posix.LStat(source);
            var copies = filter.Copies(below);
            if (st.Type != Posix.FileStat.Directory)
            {
                if (!copies) return;
                MakePending();
                CopyFile(source, target, st);
                return;
            }
            if (!copies && !filter.Enters(below)) return;
            // lstat, not Directory.Exists: a symlink in the rootfs must never lead the copy out of it (BuildKit refuses too).
            var exists = Posix.TryLStat(target, out var existing);
            if (exists && existing.Type != Posix.FileStat.Directory)
                throw new SbuildException(ErrorCode.CopySourceNotFound, $"cannot copy directory {EscapedNames.Shown(Path.GetFileName(source))} to {EscapedNames.Shown(target)}: the destination exists and is not a directory");
            if (copies)
            {
                MakePending();
                if (!exists) Posix.MkDir(target, NewDirectoryMode);
                // A directory that is copied takes the source's owner and mode even where one is there already.
                ApplyMetadata(target, st, isDirectory: true);
                _pending.Add((target, st, true));
            }
            else _pending.Add((target, st, false));
            CopyChildren(source, target, relative, below, filter);
            _pending.RemoveAt(_pending.Count - 1);
            if (copies) _directoryTimes.Add((target, st));
        }

        /// <summary>Makes the delayed directories above an entry that is copied: new ones with the source's metadata,
        /// existing ones only re-moded (fsutil's createParentDirs).</summary>
        private void MakePending()
        {
            for (var i = 0; i < _pending.Count; i++)
            {
                var (target, source, made) = _pending[i];
                if (made) continue;
                if (Posix.TryLStat(target, out var existing))
                {
                    if (existing.Type != Posix.FileStat.Directory)
                        throw new SbuildException(ErrorCode.CopySourceNotFound, $"cannot copy to non-directory: {EscapedNames.Shown(target)}");
                    Posix.Chmod(target, source.Permissions);
                }
                else
                {
                    Posix.MkDir(target, NewDirectoryMode);
                    ApplyMetadata(target, source, isDirectory: true);
                }
                _pending[i] = (target, source, true);
            }
        }

        public void CopyFile(string source, string target, Posix.FileStat st)
        {
            if (Posix.TryLStat(target, out var existing))
            {
                if (existing.Type == Posix.FileStat.Directory)
                    throw new SbuildException(ErrorCode.CopySourceNotFound,
                        $"cannot overwrite directory {EscapedNames.Shown(target)} with non-directory {EscapedNames.Shown(Path.GetFileName(source))}");
                Posix.Unlink(target);
            }

            if (st.Links > 1 && _hardlinks.TryGetValue((st.Device, st.Inode), out var first))
            {
                _links.Add((first, target)); // once the first link's file is there
                return;
            }
            switch (st.Type)
            {
                case Posix.FileStat.Regular:
                    if (st.Links > 1) _hardlinks[(st.Device, st.Inode)] = target;
                    _files.Add((source, target, st));
                    return;
                case Posix.FileStat.Symlink:
                    Posix.Symlink(Posix.ReadLink(source), target);
                    break;
                case Posix.FileStat.CharDevice or Posix.FileStat.BlockDevice or Posix.FileStat.Fifo:
                    Posix.MkNod(target, st.Mode, st.Major, st.Minor);
                    break;
                default:
                    return; // sockets are not copied, as in BuildKit
            }
            if (st.Links > 1) _hardlinks[(st.Device, st.Inode)] = target;
            ApplyMetadata(target, st, isDirectory: false);
        }

        /// <summary>The work the walk left: regular files (in parallel), then second hard links, then directory times.</summary>
        public void Finish()
        {
            ParallelWork.ForEach(_files, file =>
            {
                FileClone.Copy(file.Source, file.Target);
                ApplyMetadata(file.Target, file.Stat, isDirectory: false);
            });
            foreach (var (first, target) in _links) Posix.Link(first, target);
            for (var i = _directoryTimes.Count - 1; i >= 0; i--)
                Posix.SetTimes(_directoryTimes[i].Target, _directoryTimes[i].Source.MTimeSec, _directoryTimes[i].Source.MTimeNsec);
            _files.Clear();
            _links.Clear();
            _directoryTimes.Clear();
        }

        private void ApplyMetadata(string path, Posix.FileStat st, bool isDirectory)
        {
            var uid = ownership.Uid ?? (ownership.PreserveOwnership ? st.Uid : 0);
            var gid = ownership.Gid ?? (ownership.PreserveOwnership ? st.Gid : 0);
            Posix.LChown(path, uid, gid);
            if (st.Type != Posix.FileStat.Symlink)
                Posix.Chmod(path, ownership.Mode?.Apply(st.Permissions, isDirectory) ?? st.Permissions); // after chown, which clears setuid bits
            if (!isDirectory) Posix.SetTimes(path, st.MTimeSec, st.MTimeNsec);
        }
    }
}
