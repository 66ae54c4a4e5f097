using System.Text;

namespace Sbuild.Parser.Tests;

/// <summary>BuildKit's parser test files: every Dockerfile must dump exactly as its <c>result</c>.</summary>
public sealed class DockerfileConformanceTests
{
    public static IEnumerable<object[]> PositiveCases() => ConformanceData.CaseNames("dockerfile-parse");

    public static IEnumerable<object[]> NegativeCases() => ConformanceData.CaseNames("dockerfile-parse-negative");

    [Fact]
    public void ConformanceDataIsPresent()
    {
        string root = ConformanceData.RequireRoot();
        Assert.True(Directory.Exists(Path.Combine(root, "dockerfile-parse")), $"missing {root}/dockerfile-parse");
        Assert.True(Directory.Exists(Path.Combine(root, "dockerfile-parse-negative")), $"missing {root}/dockerfile-parse-negative");
        Assert.True(File.Exists(Path.Combine(root, "shell", "envVarTest")), $"missing {root}/shell/envVarTest");
        Assert.True(File.Exists(Path.Combine(root, "shell", "wordsTest")), $"missing {root}/shell/wordsTest");
    }

    [Theory]
    [MemberData(nameof(PositiveCases))]
    public void DumpMatchesReference(string caseName)
    {
        if (caseName == ConformanceData.Missing) Assert.Fail(ConformanceData.Problem);
        string dockerfile = ConformanceData.Path("dockerfile-parse", caseName, "Dockerfile");
        byte[] expected = File.ReadAllBytes(ConformanceData.Path("dockerfile-parse", caseName, "result"));

        var ast = DockerfileParser.Parse(File.ReadAllText(dockerfile, Encoding.UTF8), "Dockerfile");
        string printed = AstPrinter.Print(ast);

        Assert.Equal(Encoding.UTF8.GetString(expected), printed);
        Assert.Equal(expected, Encoding.UTF8.GetBytes(printed));
    }

    [Theory]
    [MemberData(nameof(NegativeCases))]
    public void InvalidDockerfileIsRejected(string caseName)
    {
        if (caseName == ConformanceData.Missing) Assert.Fail(ConformanceData.Problem);
        string text = File.ReadAllText(ConformanceData.Path("dockerfile-parse-negative", caseName, "Dockerfile"), Encoding.UTF8);

        var error = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse(text, "Dockerfile"));

        Assert.StartsWith("Dockerfile:", error.Message);
        Assert.Equal("Dockerfile", error.Location.File);
        Assert.True(error.Location.Line >= 1);
    }
}
