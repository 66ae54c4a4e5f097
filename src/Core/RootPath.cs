namespace Sbuild.Core;

/// <summary>
/// Resolves paths inside a root filesystem the way the container would see them: symlinks are followed, but
/// absolute targets and <c>..</c> stay inside the root (like chroot), so a build can never reach host files.
/// </summary>
public static class RootPath
{
    private const int MaxSymlinkHops = 255;

    /// <summary>Host path for <paramref name="path"/> (absolute in the container) under <paramref name="root"/>.</summary>
    public static string Resolve(string root, string path, bool followFinal)
    {
        var parts = new List<string>();
        var pending = new Stack<string>(Split(path).Reverse());
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == "..")
            {
                if (parts.Count > 0) parts.RemoveAt(parts.Count - 1);
                continue;
            }
            var host = Path.Combine(root, Path.Combine([.. parts, part]));
            var isLast = pending.Count == 0;
            if ((!isLast || followFinal) && Posix.TryLStat(host, out var st) && st.Type == Posix.FileStat.Symlink)
            {
                if (++hops > MaxSymlinkHops)
                    throw new SbuildException(ErrorCode.FileSystem, $"too many levels of symbolic links in {path}");
                var target = Posix.ReadLink(host);
                if (target.StartsWith('/')) parts.Clear();
                foreach (var t in Split(target).Reverse()) pending.Push(t);
                continue;
            }
            parts.Add(part);
        }
        return parts.Count == 0 ? root : Path.Combine(root, Path.Combine([.. parts]));
    }

    /// <summary>Cleans a container path: absolute, no <c>.</c>/<c>..</c>/duplicate slashes (like Go's path.Clean).</summary>
    public static string Clean(string path)
    {
        var parts = new List<string>();
        foreach (var p in Split(path))
        {
            if (p == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); }
            else parts.Add(p);
        }
        return "/" + string.Join('/', parts);
    }

    private static IEnumerable<string> Split(string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");
}
