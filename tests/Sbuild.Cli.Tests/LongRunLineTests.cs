using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>A huge RUN line is shown once (the step's progress line), not again in each error message about it.</summary>
public sealed class LongRunLineTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    [Fact]
    public async Task A_failing_200_kB_run_line_is_printed_once()
    {
        using var context = new TempDirectory("sbuild-long-run-");
        var word = string.Concat(Enumerable.Repeat("longword", 25_000)); // 200 kB: one argument longer than the kernel takes
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM busybox\nRUN echo {word} && exit 3\n");

        var result = await sbuild.RunAsync(["build", "--progress", "plain", context.Path], allowFailure: true);

        Assert.NotEqual(0, result.ExitCode);
        var output = result.StandardOutput + result.StandardError;
        Assert.Equal(1, (output.Length - output.Replace(word, "", StringComparison.Ordinal).Length) / word.Length);
        Assert.Contains("more characters)", result.StandardError);
        Assert.True(output.Length < word.Length + 10_000, $"{output.Length} characters of output");
    }
}
