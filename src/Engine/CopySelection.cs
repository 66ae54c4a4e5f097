using Sbuild.Core;
using Sbuild.Parser;

namespace Sbuild.Engine;

/// <summary>
/// What one COPY or ADD reads from its source, as BuildKit's Dockerfile frontend turns it into file-op copies: each
/// source path (wildcards allowed) is copied; with <see cref="Parents"/> a source is a pattern below a pivot
/// (<c>pivot/./pattern</c>, else below the root) whose matches keep their parent directories; entries below a copied
/// source that match <see cref="Excludes"/> are left out. Copying and keying both resolve it here, so a cache key covers
/// exactly what is copied.
/// </summary>
public sealed record CopySelection(IReadOnlyList<string> Sources, bool Parents = false, IReadOnlyList<string>? Excludes = null)
{
    /// <summary>The copies BuildKit makes of the sources, in order, each with the patterns it applies below its matches.</summary>
    internal IReadOnlyList<CopyRoot> Roots()
    {
        var exclude = Excludes is { Count: > 0 } patterns ? Patterns(patterns) : null;
        var roots = new List<CopyRoot>();
        foreach (var source in Sources)
        {
            if (!Parents)
            {
                roots.Add(new CopyRoot(source, new CopyFilter(null, exclude), null));
                continue;
            }
            // dispatchCopy's rule: "a/./b/*.txt" copies what matches b/*.txt below a, keeping b/; without a pivot the
            // whole source is the pattern, below the root. A path without wildcards on either side must exist.
            var pivotAt = source.IndexOf("/./", StringComparison.Ordinal);
            var (pivot, pattern) = pivotAt < 0 ? ("/", source) : (source[..pivotAt], source[(pivotAt + 3)..]);
            var required = SourceMatcher.HasWildcards(pivot) || SourceMatcher.HasWildcards(pattern)
                ? null
                : RootPath.Clean(pivot + "/" + pattern).TrimStart('/');
            var include = Patterns([RootPath.Clean("/" + pattern).TrimStart('/')]);
            roots.Add(new CopyRoot(RootPath.Clean("/" + pivot), new CopyFilter(include, exclude), required));
        }
        return roots;
    }

    /// <summary>Every source's matches below <paramref name="root"/>, in order, each with the filter for what lies below it.</summary>
    internal IReadOnlyList<CopyMatch> Resolve(string root, DockerIgnore ignore)
    {
        var matches = new List<CopyMatch>();
        foreach (var copy in Roots())
        {
            if (copy.Required is { } required) SourceMatcher.Expand(root, required, ignore); // throws when it is not there
            matches.AddRange(SourceMatcher.Expand(root, copy.Path, ignore).Select(m => new CopyMatch(m.Relative, m.Host, copy.Filter)));
        }
        return matches;
    }

    /// <summary>The whole selection as text (what a remembered digest of it is filed under).</summary>
    internal string Text() => string.Concat(Roots().Select(Describe));

    /// <summary>The selection as text for a content checksum: the plain form is just the source, as keys always wrote it.</summary>
    internal static string Describe(CopyRoot root) =>
        root.Filter.IsNone ? $"source {root.Path}\n" : $"source {root.Path}\n{root.Filter.Describe()}required {root.Required}\n";

    private static DockerIgnore Patterns(IEnumerable<string> patterns) =>
        DockerIgnore.FromPatterns(patterns, message => new SbuildException(ErrorCode.DockerfileSyntax, $"invalid copy pattern: {message}"));
}

/// <summary>One file-op copy: a path (wildcards allowed) whose matches are copied, the filter below them, a path that must exist.</summary>
internal sealed record CopyRoot(string Path, CopyFilter Filter, string? Required);

/// <summary>A matched source: its path as matched (relative to the source root), its host path, the filter below it.</summary>
internal sealed record CopyMatch(string Relative, string Host, CopyFilter Filter);

/// <summary>
/// The include and exclude patterns of one copy, as BuildKit's fsutil copier applies them: matched against an entry's
/// path below the copied source (never against that source itself); a path matches when it or a parent directory does.
/// A directory that is not copied itself is still walked for what lies below it, unless it is excluded and no
/// <c>!pattern</c> could bring anything below it back.
/// </summary>
internal sealed class CopyFilter(DockerIgnore? include, DockerIgnore? exclude)
{
    public bool IsNone => include is null && exclude is null;

    /// <summary>Whether the entry at <paramref name="below"/> is copied (its parents are then made as well).</summary>
    public bool Copies(string below) => (include?.IsExcluded(below) ?? true) && !(exclude?.IsExcluded(below) ?? false);

    /// <summary>Whether the walk goes into the directory at <paramref name="below"/>.</summary>
    public bool Enters(string below) => exclude is null || exclude.HasExceptions || !exclude.IsExcluded(below);

    public string Describe() =>
        $"include {string.Join('\0', include?.Patterns ?? [])}\nexclude {string.Join('\0', exclude?.Patterns ?? [])}\n";
}
