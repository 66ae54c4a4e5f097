using static Sbuild.Parser.Tests.TestDockerfile;

namespace Sbuild.Parser.Tests;

public sealed class ParserDirectiveTests
{
    [Fact]
    public void DirectivesAtTopAreRecordedCaseInsensitively()
    {
        var ast = Parse("# SYNTAX = docker/dockerfile:1.7\n#Check=skip=all\nFROM a\n");

        Assert.Equal("docker/dockerfile:1.7", ast.Directives["syntax"]);
        Assert.Equal("skip=all", ast.Directives["check"]);
        Assert.Equal('\\', ast.EscapeToken);
    }

    [Fact]
    public void BacktickEscapeChangesContinuationAndLeavesBackslashLiteral()
    {
        var ast = Parse("# escape=`\nFROM a\nRUN dir C:\\ `\n  && echo done\n");

        Assert.Equal('`', ast.EscapeToken);
        Assert.Equal("(from \"a\")\n(run \"dir C:\\\\   && echo done\")\n", AstPrinter.Print(ast));
    }

    [Fact]
    public void DirectiveAfterBlankLineIsJustAComment()
    {
        var ast = Parse("\n# escape=`\nFROM a\nRUN echo \\\n  hi\n");

        Assert.Equal('\\', ast.EscapeToken);
        Assert.False(ast.Directives.ContainsKey("escape"));
        Assert.Equal("(from \"a\")\n(run \"echo   hi\")\n", AstPrinter.Print(ast));
    }

    [Fact]
    public void UnknownDirectiveEndsTheDirectiveSection()
    {
        var ast = Parse("# foo=bar\n# escape=`\nFROM a\n");

        Assert.Empty(ast.Directives);
        Assert.Equal('\\', ast.EscapeToken);
    }

    [Fact]
    public void DirectiveAfterInstructionIsIgnored()
    {
        var ast = Parse("FROM a\n# escape=`\nRUN x \\\n y\n");

        Assert.Equal('\\', ast.EscapeToken);
        Assert.Equal("(from \"a\")\n(run \"x  y\")\n", AstPrinter.Print(ast));
    }

    [Fact]
    public void RepeatedDirectiveIsAnErrorOnItsLine()
    {
        var error = ParseError("# syntax=a\n# SYNTAX=b\nFROM a\n");

        Assert.Equal(2, error.Location.Line);
        Assert.Contains("only one syntax parser directive", error.Message);
    }

    [Fact]
    public void InvalidEscapeTokenIsRejected()
    {
        var error = ParseError("# escape=x\nFROM a\n");

        Assert.Equal(1, error.Location.Line);
        Assert.Contains("invalid escape token 'x'", error.Message);
    }

    [Fact]
    public void ByteOrderMarkIsIgnored()
    {
        var ast = Parse("\uFEFF# escape=`\nFROM a\n");

        Assert.Equal('`', ast.EscapeToken);
    }
}
