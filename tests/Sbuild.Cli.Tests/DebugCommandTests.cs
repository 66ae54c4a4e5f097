using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// The <c>sbuild debug</c> contract, which checks outside the repo rely on: <c>debug ast FILE</c> prints the
/// conformance dump (exit 0) or the error on stderr (exit 1); <c>debug expand</c> prints the expansion or fails with 1.
/// </summary>
public sealed class DebugCommandTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    public static TheoryData<string> ParseCases() =>
        new(Directory.GetDirectories(Path.Combine(RepoPaths.Shared, "conformance", "dockerfile-parse")).Select(Path.GetFileName).Order()!);

    public static TheoryData<string> NegativeCases() =>
        new(Directory.GetDirectories(Path.Combine(RepoPaths.Shared, "conformance", "dockerfile-parse-negative")).Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(ParseCases))]
    public async Task Debug_ast_prints_the_conformance_dump(string name)
    {
        var dir = Path.Combine(RepoPaths.Shared, "conformance", "dockerfile-parse", name);
        var result = await sbuild.RunAsync(["debug", "ast", Path.Combine(dir, "Dockerfile")]);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "result")), result.StandardOutput);
        Assert.Equal("", result.StandardError);
    }

    [Theory]
    [MemberData(nameof(NegativeCases))]
    public async Task Debug_ast_rejects_with_the_location_and_exit_1(string name)
    {
        var file = Path.Combine(RepoPaths.Shared, "conformance", "dockerfile-parse-negative", name, "Dockerfile");
        var result = await sbuild.RunAsync(["debug", "ast", file], allowFailure: true);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        Assert.Contains(file + ":", result.StandardError);
    }

    [Fact]
    public async Task Debug_expand_uses_the_given_environment()
    {
        var result = await sbuild.RunAsync(["debug", "expand", "--env", "A=1", "--env", "B=x y", "${A:-w}-$B-${C:-q r}-${B%% *}"]);
        Assert.Equal("1-x y-q r-x\n", result.StandardOutput);
    }

    [Fact]
    public async Task Debug_expand_words_prints_one_word_per_line()
    {
        var result = await sbuild.RunAsync(["debug", "expand", "--words", "--env", "B=x y", "a $B \"c d\""]);
        Assert.Equal("a\nx\ny\nc d\n", result.StandardOutput);
    }

    [Fact]
    public async Task Debug_expand_error_prints_it_and_exits_1()
    {
        var result = await sbuild.RunAsync(["debug", "expand", "${A:?must be set}"], allowFailure: true);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("must be set", result.StandardError);
        Assert.Equal("", result.StandardOutput);
    }
}
