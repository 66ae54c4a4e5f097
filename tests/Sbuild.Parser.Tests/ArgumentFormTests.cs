using static Sbuild.Parser.Tests.TestDockerfile;

namespace Sbuild.Parser.Tests;

/// <summary>Flags, JSON exec form and its fallback, ENV/LABEL/ARG words, ONBUILD, HEALTHCHECK.</summary>
public sealed class ArgumentFormTests
{
    [Fact]
    public void FlagsAreSeparatedAndQuotesInsideThemRemoved()
    {
        var node = Parse("FROM a\nCOPY --chown=\"a b\" --link src dst\n").Nodes[1];

        Assert.Equal(["--chown=a b", "--link"], node.Flags);
        Assert.Equal(["src", "dst"], node.Args);
    }

    [Fact]
    public void DoubleDashEndsFlagsAndIsDropped()
    {
        Assert.Equal("(from \"a\")\n(copy [\"--x=1\"] \"--not-a-flag\" \"/d\")\n", Dump("FROM a\nCOPY --x=1 -- --not-a-flag /d\n"));
    }

    [Fact]
    public void SingleDashWordIsAnArgument()
    {
        Assert.Equal("(from \"a\")\n(run \"-x --y\")\n", Dump("FROM a\nRUN -x --y\n"));
    }

    [Fact]
    public void FlagLocationsPointAtEachFlag()
    {
        var node = Parse("FROM a\nRUN --a=1 \\\n  --b x\n").Nodes[1];

        Assert.Equal(new SourceLocation("Dockerfile", 2, 5, 2), node.FlagLocations[0]);
        Assert.Equal(new SourceLocation("Dockerfile", 3, 3, 3), node.FlagLocations[1]);
        Assert.Equal(3, node.ArgsLocation!.Value.Line);
        Assert.Equal(7, node.ArgsLocation!.Value.Column);
    }

    [Theory]
    [InlineData("CMD [\"a\", \"b c\"]", "(cmd \"a\" \"b c\")", true)]
    [InlineData("CMD [ ]", "(cmd)", true)]
    [InlineData("CMD [\"a\" \"b\"]", "(cmd \"[\\\"a\\\" \\\"b\\\"]\")", false)] // missing comma: not JSON
    [InlineData("CMD [\"a\",]", "(cmd \"[\\\"a\\\",]\")", false)] // trailing comma: not JSON
    [InlineData("CMD [\"a\"] x", "(cmd \"[\\\"a\\\"] x\")", false)] // trailing text: not JSON
    [InlineData("CMD [\"\\u00e9\\t\"]", "(cmd \"é\\t\")", true)]
    [InlineData("CMD [\"a\", 1e999]", "(cmd \"[\\\"a\\\", 1e999]\")", false)] // out-of-range number: not JSON in Go
    [InlineData("VOLUME /a /b", "(volume \"/a\" \"/b\")", false)]
    [InlineData("VOLUME [\"/a\", \"/b\"]", "(volume \"/a\" \"/b\")", true)]
    public void ExecFormOrShellForm(string line, string expected, bool isJson)
    {
        var ast = Parse("FROM a\n" + line + "\n");

        Assert.Equal(expected, AstPrinter.PrintNode(ast.Nodes[1]));
        Assert.Equal(isJson, ast.Nodes[1].IsJson);
    }

    [Theory]
    [InlineData("CMD [\"a\", 1]")]
    [InlineData("CMD [\"a\", [\"b\"]]")]
    [InlineData("RUN [null]")]
    [InlineData("ENTRYPOINT [{\"a\": \"b\"}]")]
    public void JsonArrayWithNonStringsIsAnError(string line)
    {
        var error = ParseError("FROM a\n" + line + "\n");

        Assert.Equal(2, error.Location.Line);
        Assert.Contains("arrays must be comprised of strings only", error.Message);
    }

    [Fact]
    public void DeeplyNestedJsonDoesNotOverflowTheStack()
    {
        string nested = new string('[', 50_000) + new string(']', 50_000);

        // Deeper than Go's limit: not JSON, so the text is kept as shell form.
        var node = Parse("FROM a\nCMD " + nested + "\n").Nodes[1];
        Assert.False(node.IsJson);
        // Within the limit but not strings: an error.
        Assert.Throws<DockerfileException>(() => Parse("FROM a\nCMD " + new string('[', 500) + new string(']', 500) + "\n"));
    }

    [Theory]
    [InlineData("ENV a=1 b=\"x y\"", "(env \"a\" \"1\" \"=\" \"b\" \"\\\"x y\\\"\" \"=\")")]
    [InlineData("ENV a x y", "(env \"a\" \"x y\" \"\")")]
    [InlineData("ENV a=", "(env \"a\" \"\" \"=\")")]
    [InlineData("LABEL \"k\"='v w' x=y\\ z", "(label \"\\\"k\\\"\" \"'v w'\" \"=\" \"x\" \"y\\\\ z\" \"=\")")]
    [InlineData("ARG a b=c d=\"e f\"", "(arg \"a\" \"b=c\" \"d=\\\"e f\\\"\")")]
    [InlineData("ARG", "(arg)")]
    public void KeyValueInstructionsKeepQuotesAsWritten(string line, string expected)
    {
        Assert.Equal(expected, AstPrinter.PrintNode(Parse("FROM a\n" + line + "\n").Nodes[1]));
    }

    [Fact]
    public void EnvWithoutValueIsAnError()
    {
        var error = ParseError("FROM a\nENV PATH\n");
        Assert.Contains("ENV must have two arguments", error.Message);
        Assert.Equal(new SourceLocation("Dockerfile", 2, 5, 2), error.Location);
    }

    [Fact]
    public void EnvMixingFormsIsAnError()
    {
        var error = ParseError("FROM a\nENV a=1 b\n");
        Assert.Contains("can't find = in \"b\"", error.Message);
    }

    [Fact]
    public void OnbuildNestsItsTrigger()
    {
        var ast = Parse("FROM a\nONBUILD RUN --mount=x [\"echo\", \"hi\"]\nONBUILD\n");

        Assert.Equal("(onbuild (run [\"--mount=x\"] \"echo\" \"hi\"))", AstPrinter.PrintNode(ast.Nodes[1]));
        Assert.True(ast.Nodes[1].Inner!.IsJson);
        Assert.Equal("(onbuild)", AstPrinter.PrintNode(ast.Nodes[2]));
    }

    [Theory]
    [InlineData("HEALTHCHECK NONE", "(healthcheck \"NONE\")")]
    [InlineData("HEALTHCHECK --retries=2 CMD [\"a\", \"b\"]", "(healthcheck [\"--retries=2\"] \"CMD\" \"a\" \"b\")")]
    [InlineData("HEALTHCHECK cmd  curl -f x", "(healthcheck \"cmd\" \"curl -f x\")")]
    public void HealthcheckKeepsItsTypeWord(string line, string expected)
    {
        Assert.Equal(expected, AstPrinter.PrintNode(Parse("FROM a\n" + line + "\n").Nodes[1]));
    }

    [Fact]
    public void PrinterEscapesLikeGoQuote()
    {
        var ast = Parse("FROM a\nCMD [\"tab\\there\", \"nul\\u0000\", \"del\\u007f\", \"nbsp\\u00a0\", \"emoji😀\", \"zwsp\\u200b\"]\n");

        Assert.Equal("(cmd \"tab\\there\" \"nul\\x00\" \"del\\x7f\" \"nbsp\\u00a0\" \"emoji😀\" \"zwsp\\u200b\")", AstPrinter.PrintNode(ast.Nodes[1]));
    }
}
