using Sbuild.Core;

namespace Sbuild.Parser.Tests;

/// <summary>Expansion rules beyond the conformance tables: pattern removal, replacement, escapes, errors.</summary>
public sealed class ShellLexTests
{
    private static readonly Dictionary<string, string> Env = new()
    {
        ["FILE"] = "archive.tar.gz",
        ["PATHV"] = "/usr/local/bin:/usr/bin",
        ["EMPTY"] = "",
        ["SPACED"] = "a  b",
        ["EMOJI"] = "x😀y😀z",
    };

    private static string Word(string input, char escape = '\\') => new ShellLex(escape).ProcessWord(input, Env);

    [Theory]
    [InlineData("${FILE#*.}", "tar.gz")] // shortest prefix
    [InlineData("${FILE##*.}", "gz")] // longest prefix
    [InlineData("${FILE%.*}", "archive.tar")] // shortest suffix
    [InlineData("${FILE%%.*}", "archive")] // longest suffix
    [InlineData("${FILE#nomatch}", "archive.tar.gz")]
    [InlineData("${FILE/a/A}", "Archive.tar.gz")] // first match
    [InlineData("${FILE//a/A}", "Archive.tAr.gz")] // every match
    [InlineData("${PATHV//:/ }", "/usr/local/bin /usr/bin")]
    [InlineData("${FILE/#/x}", "archive.tar.gz")] // '#' is literal here, no anchor
    [InlineData("${FILE//?/.}", "..............")]
    [InlineData("${EMOJI#?}", "😀y😀z")] // '?' is one code point
    [InlineData("${EMOJI%😀*}", "x😀y")]
    [InlineData("${EMOJI//😀/-}", "x-y-z")]
    public void PatternOperators(string input, string expected)
    {
        Assert.Equal(expected, Word(input));
    }

    [Theory]
    [InlineData("${EMPTY-def}", "")]
    [InlineData("${EMPTY:-def}", "def")]
    [InlineData("${UNSET-def}", "def")]
    [InlineData("${EMPTY+alt}", "alt")]
    [InlineData("${EMPTY:+alt}", "")]
    [InlineData("${UNSET+alt}", "")]
    [InlineData("${EMPTY?}", "")]
    public void UnsetAndEmptyDiffer(string input, string expected)
    {
        Assert.Equal(expected, Word(input));
    }

    [Theory]
    [InlineData("${UNSET?must be set}", "UNSET: must be set")]
    [InlineData("${EMPTY:?}", "EMPTY: is not allowed to be empty")]
    [InlineData("${UNSET:?}", "UNSET: is not allowed to be unset")]
    [InlineData("${FILE:#x}", "unsupported modifier (:#) in substitution")]
    [InlineData("${FILE", "missing '}'")]
    [InlineData("${FILE/x}", "missing '/' in ${}")]
    [InlineData("${FILE#\\x}", "invalid escape")]
    [InlineData("'open", "unexpected end of statement while looking for matching single-quote")]
    public void ErrorsAreExpansionErrorsWithTheWord(string input, string message)
    {
        var error = Assert.Throws<SbuildException>(() => Word(input));

        Assert.Equal(ErrorCode.ExpansionError, error.Code);
        Assert.Contains(message, error.Message);
        Assert.Contains(input, error.Message);
    }

    [Fact]
    public void BacktickEscapeTokenLeavesBackslashesAlone()
    {
        Assert.Equal(@"C:\Program Files\$FILE", Word(@"C:\Program` Files\`$FILE", '`'));
    }

    [Fact]
    public void WordsSplitOnlyOnUnquotedWhitespaceAfterExpansion()
    {
        var lex = new ShellLex('\\');

        Assert.Equal(["x", "a", "b", "y"], lex.ProcessWords("x $SPACED y", Env));
        Assert.Equal(["x", "a  b", "y"], lex.ProcessWords("x \"$SPACED\" y", Env));
        Assert.Equal(["a b", "c"], lex.ProcessWords("a\\ b   c", Env));
        Assert.Equal(["pre-a", "b-post"], lex.ProcessWords("pre-${SPACED}-post", Env));
        Assert.Empty(lex.ProcessWords("\"\" ''", Env));
    }

    [Fact]
    public void MatchesReportWhichVariablesWereLookedUp()
    {
        var result = new ShellLex('\\').ProcessWordWithMatches("$FILE ${NOPE:-x} ${EMPTY}", Env);

        Assert.Equal("archive.tar.gz x ", result.Result);
        Assert.Equal(["EMPTY", "FILE"], result.Matched.Order());
        Assert.Equal(["NOPE"], result.Unmatched);
    }

    [Theory]
    // BuildKit's SkipProcessQuotes: quote characters are kept and do not protect what they enclose; escapes still work.
    [InlineData("'$FILE'", "'archive.tar.gz'")]
    [InlineData("\"$FILE\"", "\"archive.tar.gz\"")]
    [InlineData("it's ${EMPTY:-\"x\"}", "it's \"x\"")]
    [InlineData("\\$FILE \\\"", "$FILE \"")]
    public void SkipProcessQuotesTreatsQuotesAsText(string input, string expected)
    {
        Assert.Equal(expected, new ShellLex('\\') { SkipProcessQuotes = true }.ProcessWord(input, Env));
    }

    [Fact]
    public void ManyWildcardsOnALongValueStayFast()
    {
        var env = new Dictionary<string, string> { ["V"] = new string('a', 5000) };
        var watch = System.Diagnostics.Stopwatch.StartNew();

        Assert.Equal(5000, new ShellLex('\\').ProcessWord("${V#*a*a*a*a*a*a*b}", env).Length);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }
}
