using Sbuild.Core;
using Sbuild.Parser;
using Sbuild.Parser.Ignore;

namespace Sbuild.Engine;

/// <summary>
/// Finds what a COPY source names: a plain path, or a pattern with <c>*</c>, <c>?</c>, <c>[…]</c> (Go's
/// <c>filepath.Match</c>, escapes included) matched per path component, sorted. A plain path that does not exist is an
/// error; a pattern that matches nothing is not (nothing is copied), as in BuildKit. Both COPY itself and its cache
/// checksum use it, so the key covers exactly what is copied.
/// </summary>
public static class SourceMatcher
{
    /// <summary>Resolves one source (with wildcards) to (path as matched, host path with the final symlink followed).</summary>
    /// <param name="ignore">.dockerignore rules: an excluded path is treated as absent.</param>
    public static IReadOnlyList<(string Relative, string Host)> Expand(string root, string source, DockerIgnore? ignore = null)
    {
        ignore ??= DockerIgnore.Empty;
        var clean = RootPath.Clean(source).TrimStart('/');
        if (!HasWildcards(clean))
        {
            var host = RootPath.Resolve(root, clean, followFinal: true);
            if (!Posix.TryLStat(host, out _) || ignore.ExcludesEntry(clean, RootPath.Resolve(root, clean, followFinal: false)))
                throw new SbuildException(ErrorCode.CopySourceNotFound, $"\"{source}\" not found: no such file or directory in the build source");
            return [(clean, host)];
        }
        if (!GoGlob.IsValid(clean))
            throw new SbuildException(ErrorCode.CopySourceNotFound, $"syntax error in pattern \"{source}\"");
        var found = new List<(string, string)>();
        Glob(root, "", clean.Split('/'), 0, found);
        found.RemoveAll(f => ignore.ExcludesEntry(f.Item1, RootPath.Resolve(root, f.Item1, followFinal: false)));
        found.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return found;
    }

    /// <summary>A context-relative path joined with one more name ("" is the context root).</summary>
    public static string Join(string relativeDir, string name) => relativeDir.Length == 0 ? name : relativeDir + "/" + name;

    /// <summary>BuildKit's test: <c>*</c>, <c>?</c> or <c>[</c> not escaped by a backslash (a lone escape is no wildcard).</summary>
    internal static bool HasWildcards(string path)
    {
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == '\\') i++;
            else if (path[i] is '*' or '?' or '[') return true;
        }
        return false;
    }

    private static void Glob(string root, string prefix, string[] parts, int index, List<(string, string)> found)
    {
        var dir = RootPath.Resolve(root, prefix, followFinal: true);
        if (!Posix.TryLStat(dir, out var st) || st.Type != Posix.FileStat.Directory) return; // resolved: a final symlink was followed
        var part = parts[index];
        // A component without pattern characters names one entry; one with them (escapes too) is matched like Go.
        var names = part.IndexOfAny(['*', '?', '[', '\\']) < 0
            ? (Posix.TryLStat(Path.Combine(dir, part), out _) ? [part] : [])
            : DirectoryListing.Names(dir).Where(name => GoGlob.TryMatch(part, name, out var m) && m).ToList();
        foreach (var name in names)
        {
            var rel = Join(prefix, name!);
            if (index == parts.Length - 1) found.Add((rel, RootPath.Resolve(root, rel, followFinal: true)));
            else Glob(root, rel, parts, index + 1, found);
        }
    }
}
