using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary><c>sbuild build --check</c>: lint warnings and unsupported instructions, without a store, images or a build.</summary>
public sealed class CheckTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    [Fact]
    public async Task Check_reports_every_warning_and_unsupported_instruction_without_pulling_or_building()
    {
        using var context = new TempDirectory("sbuild-check-");
        // A base no registry here has: nothing may be pulled. Two unsupported flags in one stage: both are reported.
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM registry.invalid/nothing:1 as base
            RUN --device=/dev/fuse true
            ADD https://example.invalid/r.git a/b /x/
            FROM base
            ENTRYPOINT echo hi
            """);
        var store = context.Combine("store-never-made");
        var found = await sbuild.RunAsync(["--check", context.Path], allowFailure: true, storeRoot: store);
        Assert.Equal(1, found.ExitCode);
        Assert.Equal([
            $"WARNING: {context.Combine("Dockerfile")}:1: FromAsCasing: 'as' and 'FROM' keywords' casing do not match",
            $"WARNING: {context.Combine("Dockerfile")}:5: JSONArgsRecommended: JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals",
            $"NOT SUPPORTED: {context.Combine("Dockerfile")}:2: RUN --device is not supported yet by sbuild",
            $"NOT SUPPORTED: {context.Combine("Dockerfile")}:3: ADD of a git repository together with other sources in one instruction is not supported yet by sbuild: use one ADD per source",
            "Check complete, 4 warnings have been found!",
        ], found.StandardOutput.TrimEnd('\n').Split('\n'));
        Assert.False(Directory.Exists(store));

        File.WriteAllText(context.Combine("Dockerfile"), "# check=skip=JSONArgsRecommended\nFROM registry.invalid/nothing:1\nCMD echo hi\n");
        var clean = await sbuild.RunAsync(["--check", context.Path], storeRoot: store);
        Assert.Equal("Check complete, no warnings found.\n", clean.StandardOutput);

        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nFOO bar\n");
        var broken = await sbuild.RunAsync(["--check", context.Path], allowFailure: true, storeRoot: store);
        Assert.NotEqual(0, broken.ExitCode);
        Assert.Contains("Dockerfile:2", broken.StandardError);
    }
}
