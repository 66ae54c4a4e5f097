using Sbuild.Core;
using Sbuild.Parser.Ignore;

namespace Sbuild.Parser;

/// <summary>
/// The rules of a <c>.dockerignore</c> file, with BuildKit's semantics: one Go <c>filepath.Match</c> pattern per line
/// (plus <c>**</c> for any number of directories), <c>#</c> comment lines, surrounding whitespace ignored, patterns
/// cleaned (<c>./a//b/</c> is <c>a/b</c>, a leading <c>/</c> is dropped), <c>!pattern</c> re-includes, and the last
/// matching rule wins. A pattern that matches a directory excludes everything below it.
/// </summary>
public sealed class DockerIgnore
{
    private readonly List<IgnorePattern> _patterns;

    private DockerIgnore(List<IgnorePattern> patterns) => _patterns = patterns;

    /// <summary>Rules that exclude nothing.</summary>
    public static DockerIgnore Empty { get; } = new([]);

    /// <summary>The cleaned patterns in order, exceptions with their leading '!'.</summary>
    public IReadOnlyList<string> Patterns => _patterns.Select(p => p.IsException ? "!" + p.Text : p.Text).ToList();

    /// <summary>Whether any <c>!pattern</c> exists (then excluded directories may still contain included files).</summary>
    public bool HasExceptions => _patterns.Exists(p => p.IsException);

    /// <summary>Parses .dockerignore text.</summary>
    /// <exception cref="DockerfileException">A pattern is malformed (bad brackets, trailing backslash, lone '!').</exception>
    public static DockerIgnore Parse(string text, string fileName = ".dockerignore")
    {
        text ??= "";
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var patterns = new List<IgnorePattern>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].EndsWith('\r') ? lines[i][..^1] : lines[i];
            if (line.StartsWith('#')) continue;
            string pattern = line.Trim();
            if (pattern.Length == 0) continue;
            // Reading the file: a leading '!' is set aside, the rest cleaned and made relative.
            bool exception = pattern[0] == '!';
            if (exception) pattern = pattern[1..].Trim();
            if (pattern.Length > 0)
            {
                pattern = GoPath.Clean(pattern);
                if (pattern.Length > 1 && pattern[0] == '/') pattern = pattern[1..];
            }
            // Compiling it: the full text is trimmed and cleaned once more and a leading '!' decides again (so "!/"
            // becomes a lone "!", "./!x" an exception and "/ *" plain "*"), exactly as BuildKit's two steps behave.
            var (number, original) = (i + 1, lines[i]);
            if (Compile(exception ? "!" + pattern : pattern, message => Invalid(fileName, number, original, message)) is { } compiled)
                patterns.Add(compiled);
        }
        return new DockerIgnore(patterns);
    }

    /// <summary>
    /// Patterns given as a list, compiled as BuildKit's patternmatcher.New compiles them (no comments, no removal of a
    /// leading '/'): the include and exclude patterns of a copy (<c>COPY --exclude</c>, <c>COPY --parents</c>).
    /// </summary>
    /// <param name="invalid">Makes the error for a malformed pattern from its message.</param>
    public static DockerIgnore FromPatterns(IEnumerable<string> patterns, Func<string, Exception> invalid) =>
        new(patterns.Select(p => Compile(p, invalid)).OfType<IgnorePattern>().ToList());

    /// <summary>patternmatcher.New's step for one pattern: trimmed, cleaned, a leading '!' makes an exception; blank is none.</summary>
    private static IgnorePattern? Compile(string text, Func<string, Exception> invalid)
    {
        string full = text.Trim();
        if (full.Length == 0) return null;
        full = GoPath.Clean(full);
        bool exception = full[0] == '!';
        if (exception && full.Length == 1)
            throw invalid("illegal exclusion pattern: \"!\"");
        string pattern = exception ? full[1..] : full;
        if (!GoGlob.IsValid(pattern))
            throw invalid($"syntax error in pattern {Text.GoQuote.Quote(pattern)}");
        try
        {
            return new IgnorePattern(pattern, exception);
        }
        catch (FormatException ex)
        {
            throw invalid($"{Text.GoQuote.Quote(pattern)}: {ex.Message}");
        }
    }

    /// <summary>
    /// Whether <paramref name="relativePath"/> (slash-separated, relative to the context root) is excluded: the last
    /// pattern that matches the path or one of its parent directories decides. The context root itself never is.
    /// </summary>
    public bool IsExcluded(string relativePath)
    {
        if (_patterns.Count == 0) return false;
        string path = Normalize(relativePath);
        if (path == ".") return false;
        string parent = GoPath.Dir(path);
        string[] parentParts = parent == "." ? [] : parent.Split('/');

        bool matched = false;
        foreach (var pattern in _patterns)
        {
            // An include rule cannot change an already excluded path, nor an exception an included one.
            if (pattern.IsException != matched) continue;
            bool match = pattern.Matches(path);
            for (int i = 0; !match && i < parentParts.Length; i++)
                match = pattern.Matches(string.Join('/', parentParts, 0, i + 1));
            if (match) matched = !pattern.IsException;
        }
        return matched;
    }

    /// <summary>
    /// Whether some path strictly below <paramref name="relativeDirectory"/> could be re-included by a
    /// <c>!pattern</c>. Conservative: false only when no exception can apply below the directory.
    /// </summary>
    public bool MayReincludeBelow(string relativeDirectory)
    {
        string dir = Normalize(relativeDirectory);
        foreach (var pattern in _patterns)
        {
            if (!pattern.IsException) continue;
            if (dir == "." || pattern.MayMatchBelow(dir)) return true;
        }
        return false;
    }

    /// <summary>
    /// Whether the build context leaves out the entry at <paramref name="relativePath"/> — the one rule the context's
    /// users apply, as BuildKit's context walk does: an excluded file or symlink is gone; an excluded directory is gone
    /// only when no <c>!pattern</c> can re-include anything below it (otherwise it is walked for what comes back).
    /// <paramref name="isDirectory"/> is what lstat says, so a symlink to a directory is not one.
    /// </summary>
    public bool Excludes(string relativePath, bool isDirectory) =>
        IsExcluded(relativePath) && !(isDirectory && MayReincludeBelow(relativePath));

    private static string Normalize(string path)
    {
        string cleaned = GoPath.Clean(path ?? "");
        while (cleaned.StartsWith('/')) cleaned = cleaned.Length == 1 ? "." : cleaned[1..];
        return cleaned;
    }

    private static DockerfileException Invalid(string file, int line, string text, string message) =>
        new(ErrorCode.DockerfileSyntax, new SourceLocation(file, line, 1, line), $"invalid .dockerignore pattern: {message}", text);
}
