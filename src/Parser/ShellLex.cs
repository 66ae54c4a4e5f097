using Sbuild.Core;
using Sbuild.Parser.Shell;

namespace Sbuild.Parser;

/// <summary>
/// Variable expansion and word splitting with the semantics of BuildKit's Dockerfile shell lexer:
/// <c>$a ${a} ${a:-w} ${a-w} ${a:+w} ${a+w} ${a:?msg} ${a?msg} ${a#p} ${a##p} ${a%p} ${a%%p} ${a/p/r} ${a//p/r}</c>,
/// single quotes (literal), double quotes (only <c>$</c>, the escape token and <c>"</c> are special), the escape
/// token outside quotes, and the difference between unset and empty variables. This is not a full POSIX shell:
/// there is no command substitution, arithmetic or globbing.
/// </summary>
public sealed class ShellLex(char escapeToken)
{
    public char EscapeToken { get; } = escapeToken;

    /// <summary>Keep quote characters in the output (used to detect quoted heredoc delimiters).</summary>
    internal bool RawQuotes { get; init; }

    /// <summary>Keep escape tokens in the output.</summary>
    internal bool RawEscapes { get; init; }

    /// <summary>
    /// Quotes are ordinary characters (BuildKit's SkipProcessQuotes): how the build expands COPY and ADD here-document
    /// bodies, which are file contents, not shell words.
    /// </summary>
    public bool SkipProcessQuotes { get; init; }

    /// <summary>Leave references to unset variables as written instead of expanding them to "".</summary>
    internal bool SkipUnsetEnv { get; init; }

    /// <summary>Expands <paramref name="word"/> as one word (whitespace is kept).</summary>
    /// <exception cref="SbuildException">ExpansionError for malformed input or a failing <c>${a?msg}</c>.</exception>
    public string ProcessWord(string word, IReadOnlyDictionary<string, string> env) => Run(word, env).Result;

    /// <summary>Expands <paramref name="word"/> and splits it into words on unquoted whitespace.</summary>
    /// <exception cref="SbuildException">ExpansionError for malformed input or a failing <c>${a?msg}</c>.</exception>
    public IReadOnlyList<string> ProcessWords(string word, IReadOnlyDictionary<string, string> env) => Run(word, env).Words;

    /// <summary>Expands and also reports which variable names were found and which were not.</summary>
    public ShellExpansion ProcessWordWithMatches(string word, IReadOnlyDictionary<string, string> env) => Run(word, env);

    private ShellExpansion Run(string word, IReadOnlyDictionary<string, string> env)
    {
        var processor = new ShellWordProcessor(this, word, env);
        try
        {
            var (result, words) = processor.ProcessAll();
            return new ShellExpansion(result, words, processor.Matched, processor.Unmatched);
        }
        catch (ShellSyntaxException ex)
        {
            throw new SbuildException(ErrorCode.ExpansionError, $"failed to process \"{word}\": {ex.Message}");
        }
    }
}

/// <summary>The outcome of one expansion: the joined result, the split words, and variable names looked up.</summary>
public sealed record ShellExpansion(
    string Result,
    IReadOnlyList<string> Words,
    IReadOnlySet<string> Matched,
    IReadOnlySet<string> Unmatched);

