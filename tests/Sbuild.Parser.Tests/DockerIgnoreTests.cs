namespace Sbuild.Parser.Tests;

public sealed class DockerIgnoreTests
{
    [Theory]
    [InlineData("*.log", "app.log", true)]
    [InlineData("*.log", "logs/app.log", false)] // '*' stays within one path element
    [InlineData("**/*.log", "app.log", true)]
    [InlineData("**/*.log", "a/b/app.log", true)]
    [InlineData("build", "build", true)]
    [InlineData("build", "build/out/bin", true)] // excluding a directory excludes what is inside
    [InlineData("build", "src/build", false)]
    [InlineData("/secret.txt", "secret.txt", true)]
    [InlineData("./tmp//cache/", "tmp/cache/x", true)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "a/c", false)]
    [InlineData("a/*/c", "a/b/c", true)]
    [InlineData("a/*/c", "a/b/x/c", false)]
    [InlineData("a/**/c", "a/b/x/c", true)]
    [InlineData("a/**/c", "a/c", true)]
    [InlineData("docs/**", "docs/x/y.md", true)]
    [InlineData("**", "anything/at/all", true)]
    [InlineData("[a-c]at", "bat", true)]
    [InlineData("[a-c]at", "dat", false)]
    [InlineData("[^a-c]at", "dat", true)]
    [InlineData("file\\*", "file*", true)]
    [InlineData("file\\*", "files", false)]
    [InlineData("x.{js}", "x.{js}", true)] // braces are literal
    [InlineData(" padded.txt ", "padded.txt", true)]
    [InlineData("a/../b", "b", true)]
    public void SinglePattern(string pattern, string path, bool excluded)
    {
        Assert.Equal(excluded, DockerIgnore.Parse(pattern).IsExcluded(path));
    }

    [Fact]
    public void ExceptionsReIncludeAndTheLastMatchingRuleWins()
    {
        var ignore = DockerIgnore.Parse("*.md\n!README.md\n");
        Assert.True(ignore.IsExcluded("CHANGES.md"));
        Assert.False(ignore.IsExcluded("README.md"));

        var reversed = DockerIgnore.Parse("!README.md\n*.md\n");
        Assert.True(reversed.IsExcluded("README.md"));
    }

    [Fact]
    public void CommentsBlankLinesAndCrLfAreHandled()
    {
        var ignore = DockerIgnore.Parse("\uFEFF# comment\r\n\r\n   \r\nnode_modules\r\n #not-a-comment\r\n");

        Assert.Equal(["node_modules", "#not-a-comment"], ignore.Patterns);
        Assert.True(ignore.IsExcluded("node_modules/x/index.js"));
        Assert.True(ignore.IsExcluded("#not-a-comment"));
        Assert.False(ignore.IsExcluded("# comment"));
    }

    [Fact]
    public void PathsAreNormalisedAndTheRootIsNeverExcluded()
    {
        var ignore = DockerIgnore.Parse("**\n");
        Assert.False(ignore.IsExcluded("."));
        Assert.False(ignore.IsExcluded(""));
        Assert.True(ignore.IsExcluded("./a/../b"));
        Assert.True(ignore.IsExcluded("/b"));
    }

    [Fact]
    public void DirectoryWithReIncludedFileCannotBeSkipped()
    {
        var ignore = DockerIgnore.Parse("docs\nnode_modules\n!docs/keep.md\n");

        Assert.True(ignore.HasExceptions);
        Assert.True(ignore.IsExcluded("docs"));
        Assert.False(ignore.IsExcluded("docs/keep.md"));
        Assert.True(ignore.IsExcluded("docs/other.md"));
        Assert.False(ignore.Excludes("docs", isDirectory: true));
        Assert.True(ignore.Excludes("node_modules", isDirectory: true));
        Assert.False(ignore.Excludes("src", isDirectory: true)); // not excluded at all
    }

    [Fact]
    public void WildcardExceptionsAreConsideredForPruning()
    {
        var ignore = DockerIgnore.Parse("*\n!src/**/*.go\n!cmd/*/main.go\n");

        Assert.True(ignore.Excludes("vendor", isDirectory: true));
        Assert.False(ignore.Excludes("src", isDirectory: true));
        Assert.False(ignore.Excludes("src/pkg/deep", isDirectory: true));
        Assert.False(ignore.Excludes("cmd/tool", isDirectory: true));
        Assert.True(ignore.Excludes("cmd/tool/testdata", isDirectory: true));
        Assert.False(ignore.IsExcluded("src/pkg/a.go"));
        Assert.True(ignore.IsExcluded("src/pkg/a.txt"));
    }

    [Fact]
    public void OnlyARealDirectoryIsKeptForWhatMayBeReIncludedBelowIt()
    {
        // "!*/keep" may re-include something below any top-level name, but nothing can be below a file or a symlink.
        var ignore = DockerIgnore.Parse("*\n!*/keep\n");

        Assert.True(ignore.Excludes("notes.txt", isDirectory: false));
        Assert.False(ignore.Excludes("notes.txt", isDirectory: true));
        Assert.False(ignore.Excludes("dir/keep", isDirectory: false));
    }

    [Fact]
    public void ExceptionMatchingAParentReIncludesEverythingBelow()
    {
        var ignore = DockerIgnore.Parse("*\n!keep\n");
        Assert.False(ignore.IsExcluded("keep/a/b"));
        Assert.False(ignore.Excludes("keep", isDirectory: true));
    }

    [Theory]
    [InlineData("ok\n[abc\n", 2)]
    [InlineData("trailing\\", 1)]
    [InlineData("a\n!\n", 2)]
    [InlineData("[]]", 1)]
    public void MalformedPatternIsRejectedWithItsLine(string text, int line)
    {
        var error = Assert.Throws<DockerfileException>(() => DockerIgnore.Parse(text));

        Assert.Equal(".dockerignore", error.Location.File);
        Assert.Equal(line, error.Location.Line);
        Assert.StartsWith($".dockerignore:{line}:1: invalid .dockerignore pattern", error.Message);
    }

    [Fact]
    public void PatternTextIsTrimmedAgainAfterCleaning()
    {
        // "/ *" loses its slash, then its blank: BuildKit ends up with "*".
        Assert.True(DockerIgnore.Parse("/ *\n").IsExcluded("anything"));
        // "./!keep" cleans to "!keep", which BuildKit then reads as an exception.
        var ignore = DockerIgnore.Parse("*\n./!keep\n");
        Assert.True(ignore.HasExceptions);
        Assert.False(ignore.IsExcluded("keep"));
    }

    [Theory]
    [InlineData("[!-[a-c]x", "[x", true)] // '[' inside brackets is a plain character
    [InlineData("[!-[a-c]x", "dx", false)]
    [InlineData(@"file\d", "file7", true)] // the pattern's "\d" reaches the regular expression as a digit class
    [InlineData(@"file\d", "file\u0663", false)] // ASCII digits only, as in Go (U+0663 is an Arabic-Indic digit)
    [InlineData(@"a\.b", "a.b", true)]
    [InlineData(@"a\.b", "axb", false)]
    public void EscapesAndBracketsFollowGoRegexpRules(string pattern, string path, bool excluded)
    {
        Assert.Equal(excluded, DockerIgnore.Parse(pattern).IsExcluded(path));
    }

    [Theory]
    [InlineData("!/")] // cleans to a lone "!"
    [InlineData("[z-a]")] // reversed range
    [InlineData(@"\qx")] // not an escape Go's regexp knows
    public void PatternsBuildKitCannotUseAreRejected(string pattern)
    {
        Assert.Throws<DockerfileException>(() => DockerIgnore.Parse(pattern + "\n"));
    }

    [Fact]
    public void EmptyRulesExcludeNothing()
    {
        Assert.False(DockerIgnore.Empty.IsExcluded("a"));
        Assert.False(DockerIgnore.Parse("").HasExceptions);
    }
}
