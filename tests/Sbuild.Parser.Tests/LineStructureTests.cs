using static Sbuild.Parser.Tests.TestDockerfile;

namespace Sbuild.Parser.Tests;

/// <summary>Continuations, comments, blank lines, keyword case and locations.</summary>
public sealed class LineStructureTests
{
    [Fact]
    public void CommentsAndBlankLinesInsideContinuationAreDropped()
    {
        string dump = Dump("FROM a\nRUN echo one \\\n# a comment\n\n   # indented comment\n  two\n");

        Assert.Equal("(from \"a\")\n(run \"echo one   two\")\n", dump);
    }

    [Fact]
    public void ContinuationMayRunIntoEndOfFile()
    {
        Assert.Equal("(from \"a\")\n(run \"echo hi\")\n", Dump("FROM a\nRUN echo hi \\"));
    }

    [Fact]
    public void EscapedEscapeAtEndOfLineIsNotAContinuation()
    {
        // "a\\" ends with an escaped backslash: the line is complete and the next line is its own instruction.
        Assert.Equal("(from \"x\")\n(env \"A\" \"a\\\\\\\\\" \"\")\n(env \"B\" \"b\" \"\")\n",
            Dump("FROM x\nENV A a\\\\\nENV B b\n"));
    }

    [Fact]
    public void BlanksAfterTheEscapeStillContinue()
    {
        Assert.Equal("(from \"a\")\n(run \"x y\")\n", Dump("FROM a\nRUN x \\ \t \ny\n"));
    }

    [Fact]
    public void CrLfLineEndingsAreHandled()
    {
        Assert.Equal("(from \"a\")\n(run \"x   y\")\n", Dump("FROM a\r\nRUN x \\\r\n  y\r\n"));
    }

    [Fact]
    public void KeywordsAreCaseInsensitiveAndIndentationIsIgnored()
    {
        Assert.Equal("(from \"a\")\n(run \"x\")\n(workdir \"/w\")\n", Dump("  from a\n\tRuN x\nwOrKdIr /w\n"));
    }

    [Fact]
    public void LocationsSpanContinuationLines()
    {
        var ast = Parse("FROM a\n\n  RUN one \\\n   two \\\n   three\nUSER u\n");

        var run = ast.Nodes[1];
        Assert.Equal(3, run.Location.Line);
        Assert.Equal(3, run.Location.Column);
        Assert.Equal(5, run.Location.EndLine);
        Assert.Equal(6, ast.Nodes[2].Location.Line);
    }

    [Fact]
    public void EmptyContinuationLineGivesAWarning()
    {
        var ast = Parse("FROM a\nRUN x \\\n\n  y\n");

        Assert.Equal("Dockerfile:3: NoEmptyContinuation: Empty continuation line", Assert.Single(ast.Warnings));
    }

    [Fact]
    public void CommentOnlyFileIsRejected()
    {
        var error = ParseError("# just\n# comments\n\n");
        Assert.Contains("file with no instructions", error.Message);
    }

    [Fact]
    public void EmptyFileIsRejected()
    {
        var error = ParseError("");
        Assert.Contains("file with no instructions", error.Message);
        Assert.Equal("Dockerfile", error.Location.File);
    }

    [Fact]
    public void UnknownInstructionIsRejectedWithLocationAndQuotedLine()
    {
        var error = ParseError("FROM a\n   RUNN echo\n");

        Assert.Equal(Sbuild.Core.ErrorCode.UnsupportedInstruction, error.Code);
        Assert.Equal(new SourceLocation("Dockerfile", 2, 4, 2), error.Location);
        Assert.Contains("unknown instruction: RUNN (did you mean RUN?)", error.Message);
        Assert.Contains("    2 |    RUNN echo", error.Message);
        Assert.StartsWith("Dockerfile:2:4: ", error.Message);
    }

    [Fact]
    public void ContinuationThatLeadsNowhereIsRejected()
    {
        var error = ParseError("FROM a\n\\\n# nothing follows\n");
        Assert.Equal(2, error.Location.Line);
    }
}
