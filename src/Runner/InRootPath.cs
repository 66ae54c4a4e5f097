namespace Sbuild.Runner;

/// <summary>Resolves a container path to the host path the runtime will use, following symlinks as if
/// <c>root</c> were "/" (absolute targets and ".." never leave the root). Missing components are kept as written.</summary>
internal static class InRootPath
{
    private const int MaxSymlinks = 255;

    public static string Resolve(string root, string containerPath)
    {
        var resolved = new List<string>();
        var pending = new Stack<string>(Components(containerPath).Reverse());
        var followed = 0;
        while (pending.TryPop(out var part))
        {
            if (part == "..")
            {
                if (resolved.Count > 0)
                    resolved.RemoveAt(resolved.Count - 1);
                continue;
            }

            var hostPath = Join(root, [.. resolved, part]);
            if (new FileInfo(hostPath).LinkTarget is { } target)
            {
                if (++followed > MaxSymlinks)
                    throw new IOException($"too many levels of symbolic links resolving {containerPath} in {root}");
                if (target.StartsWith('/'))
                    resolved.Clear();
                foreach (var targetPart in Components(target).Reverse())
                    pending.Push(targetPart);
                continue;
            }
            resolved.Add(part);
        }
        return Join(root, resolved);
    }

    private static IEnumerable<string> Components(string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(part => part != ".");

    private static string Join(string root, IReadOnlyList<string> parts) =>
        parts.Count == 0 ? root : Path.Join(root, string.Join('/', parts));
}
