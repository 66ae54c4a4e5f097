using Sbuild.Core;

namespace Sbuild.Engine;

/// <summary>
/// The directory an archive is extracted into, treated as a root that nothing may leave (BuildKit extracts through
/// os.Root the same way). Symlinks met on the way to an entry, whether from the archive or already in the rootfs, are
/// resolved inside this root: an absolute target starts again at the root, and a relative target that climbs above
/// it is an error. No path this class returns passes through a symlink, so creating the entry never writes elsewhere.
/// </summary>
internal sealed class ExtractionRoot(string hostRoot, string archiveName)
{
    private const int MaxSymlinkHops = 255;

    public string HostRoot { get; } = hostRoot;

    public string HostPath(IReadOnlyList<string> parts) =>
        parts.Count == 0 ? HostRoot : Path.Combine(HostRoot, string.Join('/', parts));

    /// <summary>
    /// The real location of the cleaned entry path <paramref name="parts"/>: every symlink among the parents is
    /// followed; the last part is followed only when <paramref name="followLeaf"/> (directory entries merge into a
    /// directory a symlink points to; anything else replaces the symlink itself).
    /// </summary>
    public List<string> Resolve(IReadOnlyList<string> parts, bool followLeaf, string entryName)
    {
        var resolved = new List<string>();
        var pending = new Stack<string>(parts.Reverse());
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == "..")
            {
                if (resolved.Count == 0) throw Escapes(entryName);
                resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            var isLeaf = pending.Count == 0;
            resolved.Add(part);
            if (isLeaf && !followLeaf) break;
            var host = HostPath(resolved);
            if (!Posix.TryLStat(host, out var st) || st.Type != Posix.FileStat.Symlink) continue;

            if (++hops > MaxSymlinkHops)
                throw new SbuildException(ErrorCode.InvalidArchive, $"archive {archiveName}: too many levels of symbolic links under \"{EscapedNames.Shown(entryName)}\"");
            resolved.RemoveAt(resolved.Count - 1);
            var target = Posix.ReadLink(host);
            if (target.StartsWith('/')) resolved.Clear();
            foreach (var t in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(t => t != ".").Reverse())
                pending.Push(t);
        }
        return resolved;
    }

    private SbuildException Escapes(string entryName) =>
        new(ErrorCode.InvalidArchive, $"archive {archiveName}: entry \"{EscapedNames.Shown(entryName)}\" goes through a symbolic link that points outside the destination directory");
}
