using Pidgin;
using Sbuild.Core;
using static Pidgin.Parser;
using static Pidgin.Parser<char>;

namespace Sbuild.Parser.Parsing;

/// <summary>A heredoc opener found in an instruction line: <c>[n]&lt;&lt;[-]WORD</c>.</summary>
internal sealed record HeredocMarker(string Name, bool Expand, bool Chomp, int FileDescriptor);

/// <summary>
/// Finds heredoc openers in an instruction line. The line is split into shell words (quotes and escapes kept,
/// variables left alone); a word of the form <c>[digits]&lt;&lt;[-][blanks]delimiter</c> opens a heredoc. The
/// delimiter must be a single shell word; if any part of it is quoted the body is not expanded later.
/// The heredoc lexer always uses the backslash as escape token, as BuildKit does.
/// </summary>
internal static class HeredocMarkers
{
    private static readonly Dictionary<string, string> NoEnv = [];

    private static readonly ShellLex LineLexer = new('\\') { RawQuotes = true, RawEscapes = true, SkipUnsetEnv = true };
    private static readonly ShellLex DelimiterLexer = new('\\') { SkipUnsetEnv = true };
    private static readonly ShellLex RawDelimiterLexer = new('\\') { SkipUnsetEnv = true, RawQuotes = true };

    // ^(\d*)<<(-?)\s*([^<]*)$   (\d and \s are ASCII in Go's RE2)
    private static readonly Parser<char, (string Fd, bool Chomp, string Delimiter)> MarkerWord =
        Map((fd, _, dash, _, rest) => (fd, dash.HasValue, rest),
            Token(c => c is >= '0' and <= '9').ManyString(),
            String("<<"),
            Char('-').Optional(),
            OneOf(' ', '\t', '\n', '\f', '\r').SkipMany(),
            AnyCharExcept('<').ManyString().Before(End));

    /// <summary>Parses one word; null when it is not a heredoc opener.</summary>
    /// <exception cref="SbuildException">ExpansionError when the delimiter cannot be lexed.</exception>
    public static HeredocMarker? ParseWord(string word)
    {
        var m = MarkerWord.Parse(word);
        if (!m.Success || m.Value.Delimiter.Length == 0) return null;
        string rest = m.Value.Delimiter;

        // Lex the delimiter with and without quotes: if the quote counts differ, part of it was quoted.
        var words = DelimiterLexer.ProcessWords(rest, NoEnv);
        if (words.Count != 1) return null;
        var rawWords = RawDelimiterLexer.ProcessWords(rest, NoEnv);
        if (rawWords.Count != words.Count)
            throw new SbuildException(ErrorCode.ExpansionError, $"internal lexing of heredoc produced inconsistent results: {rest}");

        bool expand = QuoteCount(words[0]) == QuoteCount(rawWords[0]);
        int fd = int.TryParse(m.Value.Fd, out int parsed) ? parsed : 0;
        return new HeredocMarker(words[0], expand, m.Value.Chomp, fd);
    }

    /// <summary>All heredoc openers of a line, in order. A line that does not lex as shell words has none.</summary>
    public static List<HeredocMarker> FindInLine(string line)
    {
        IReadOnlyList<string> words;
        try
        {
            words = LineLexer.ProcessWords(line, NoEnv);
        }
        catch (SbuildException)
        {
            return [];
        }
        var markers = new List<HeredocMarker>();
        foreach (string word in words)
        {
            if (ParseWord(word) is { } marker) markers.Add(marker);
        }
        return markers;
    }

    private static int QuoteCount(string s)
    {
        int n = 0;
        foreach (char c in s) if (c is '\'' or '"') n++;
        return n;
    }
}
