using static Sbuild.Parser.Tests.TestDockerfile;

namespace Sbuild.Parser.Tests;

public sealed class HeredocTests
{
    [Fact]
    public void RunHeredocBodyIsReadFromFollowingLines()
    {
        var ast = Parse("FROM a\nRUN <<EOF\necho $HOME\n  indented\nEOF\nUSER u\n");

        var run = ast.Nodes[1];
        var heredoc = Assert.Single(run.Heredocs);
        Assert.Equal(new Heredoc("EOF", "echo $HOME\n  indented\n", Expand: true, Chomp: false), heredoc);
        Assert.Equal(["<<EOF"], run.Args);
        Assert.Equal(5, run.Location.EndLine);
        Assert.Equal("user", ast.Nodes[2].Keyword);
    }

    [Theory]
    [InlineData("<<'EOF'")]
    [InlineData("<<\"EOF\"")]
    [InlineData("<<E'O'F")]
    public void QuotedDelimiterDisablesExpansion(string marker)
    {
        var heredoc = Assert.Single(Parse($"FROM a\nRUN cat {marker}\n$X\nEOF\n").Nodes[1].Heredocs);

        Assert.Equal("EOF", heredoc.Name);
        Assert.False(heredoc.Expand);
        Assert.Equal("$X\n", heredoc.Content);
    }

    [Fact]
    public void DashAllowsTabIndentedTerminatorAndBinderStripsTabs()
    {
        string text = "FROM a\nRUN <<-EOT\n\techo one\n\t\techo two\n\tEOT\n";

        var heredoc = Assert.Single(Parse(text).Nodes[1].Heredocs);
        Assert.True(heredoc.Chomp);
        Assert.Equal("\techo one\n\t\techo two\n", heredoc.Content); // AST: raw

        var run = Single<RunInstruction>(Bind(text));
        Assert.Equal("echo one\necho two\n", Assert.Single(run.Heredocs).Content); // bound: tabs stripped
    }

    [Fact]
    public void SeveralHeredocsOnOneLineAreReadInOrder()
    {
        var run = Parse("FROM a\nRUN python3 <<PY 3<<DATA\nprint(1)\nPY\nx y\nDATA\n").Nodes[1];

        Assert.Equal(["PY", "DATA"], run.Heredocs.Select(h => h.Name));
        Assert.Equal(["print(1)\n", "x y\n"], run.Heredocs.Select(h => h.Content));
    }

    [Fact]
    public void CopyHeredocBecomesAnInlineSource()
    {
        var copy = Single<CopyInstruction>(Bind("FROM a\nCOPY --chmod=755 <<EOF /usr/bin/hello\n#!/bin/sh\necho hello\nEOF\n"));

        Assert.Empty(copy.Sources);
        Assert.Equal("/usr/bin/hello", copy.Destination);
        Assert.Equal("755", copy.Chmod);
        var inline = Assert.Single(copy.Heredocs);
        Assert.Equal("EOF", inline.Name);
        Assert.Equal("#!/bin/sh\necho hello\n", inline.Content);
    }

    [Fact]
    public void ExecFormAndOtherInstructionsDoNotReadHeredocs()
    {
        var ast = Parse("FROM a\nRUN [\"cat\", \"<<EOF\"]\nLABEL x=<<EOF\nUSER EOF\n");

        Assert.Equal(4, ast.Nodes.Count); // the "USER EOF" line is an instruction, not a heredoc body
        Assert.All(ast.Nodes, node => Assert.Empty(node.Heredocs));
    }

    [Fact]
    public void QuotedOrEscapedMarkerIsNotAHeredoc()
    {
        var ast = Parse("FROM a\nRUN echo '<<EOF' \"<<X\"\nUSER u\n");

        Assert.Empty(ast.Nodes[1].Heredocs);
        Assert.Equal(3, ast.Nodes.Count);
    }

    [Fact]
    public void UnterminatedHeredocIsAnError()
    {
        var error = ParseError("FROM a\nRUN <<EOF\necho hi\n");

        Assert.Equal(2, error.Location.Line);
        Assert.Contains("unterminated heredoc", error.Message);
    }

    [Fact]
    public void OnbuildTriggerCarriesItsHeredoc()
    {
        var onbuild = Single<OnbuildInstruction>(Bind("FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\n"));

        Assert.Equal("RUN <<EOF\necho hi\nEOF", onbuild.Trigger);
    }

    [Fact]
    public void HeredocAsDestinationIsRejected()
    {
        var error = BindError("FROM a\nCOPY x <<EOF\nhi\nEOF\n");
        Assert.Contains("cannot accept a heredoc as a destination", error.Message);
    }
}
