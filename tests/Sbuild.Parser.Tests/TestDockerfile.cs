namespace Sbuild.Parser.Tests;

/// <summary>Small helpers shared by the unit tests.</summary>
internal static class TestDockerfile
{
    public static DockerfileAst Parse(string text) => DockerfileParser.Parse(text, "Dockerfile");

    /// <summary>The conformance dump of <paramref name="text"/>.</summary>
    public static string Dump(string text) => AstPrinter.Print(Parse(text));

    public static BuildDefinition Bind(string text, Dictionary<string, string>? buildArgs = null) =>
        InstructionBinder.Bind(Parse(text), buildArgs ?? []);

    public static DockerfileException ParseError(string text) =>
        Assert.Throws<DockerfileException>(() => Parse(text));

    public static DockerfileException BindError(string text, Dictionary<string, string>? buildArgs = null) =>
        Assert.Throws<DockerfileException>(() => Bind(text, buildArgs));

    public static T Single<T>(BuildDefinition definition) where T : Instruction =>
        Assert.IsType<T>(Assert.Single(definition.Stages[^1].Instructions));
}
