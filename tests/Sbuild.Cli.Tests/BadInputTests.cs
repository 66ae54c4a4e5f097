using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// Bad input gets one clear error naming the file and line (or the flag), a non-zero exit, no stack trace, and the
/// store keeps exactly the names it had.
/// </summary>
public sealed class BadInputTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    private async Task<(string Error, int Exit)> FailingBuild(string dockerfile, params string[] extraArgs)
    {
        using var context = new TempDirectory("sbuild-bad-");
        File.WriteAllText(context.Combine("Dockerfile"), dockerfile);
        File.WriteAllText(context.Combine("file.txt"), "x\n");
        var indexBefore = File.ReadAllBytes(Path.Combine(sbuild.StoreRoot, "index.json"));
        var result = await sbuild.RunAsync([.. extraArgs, "-t", "bad:1", context.Path], allowFailure: true);
        Assert.NotEqual(0, result.ExitCode);
        Assert.DoesNotContain("   at ", result.StandardError); // no stack trace
        Assert.Equal(indexBefore, File.ReadAllBytes(Path.Combine(sbuild.StoreRoot, "index.json")));
        return (result.StandardError.Replace(context.Path, "CTX"), result.ExitCode);
    }

    [Fact]
    public async Task Missing_dockerfile_names_the_path()
    {
        var (error, _) = await FailingBuild("FROM busybox\n", "-f", "/nonexistent/Dockerfile.x");
        Assert.Contains("/nonexistent/Dockerfile.x", error);
        Assert.Contains("SB1002", error);
    }

    [Theory]
    [InlineData("-f", "/tmp", "is a directory")]
    [InlineData("-f", "/dev/zero", "larger than 32 MiB")]
    [InlineData("--build-arg", "", "--build-arg \"\": expected KEY=VALUE")]
    [InlineData("--build-arg", "=x", "--build-arg \"=x\": expected KEY=VALUE")]
    public async Task Bad_flag_values_get_one_clear_error(string flag, string value, string message)
    {
        var (error, _) = await FailingBuild("FROM busybox\n", flag, value);
        Assert.Contains(message, error);
        Assert.DoesNotContain("internal error", error);
    }

    [Fact]
    public async Task A_store_root_that_is_a_file_or_a_foreign_directory_is_refused_and_left_alone()
    {
        using var dir = new TempDirectory("sbuild-not-a-store-");
        File.WriteAllText(dir.Combine("notes.txt"), "mine\n");
        foreach (var (root, message) in new[] { (dir.Combine("notes.txt"), "is a file, not a store directory"), (dir.Path, "is not an sbuild store") })
        {
            foreach (var args in new[] { new[] { "images" }, new[] { "build", dir.Path } })
            {
                var result = await sbuild.RunAsync(args, allowFailure: true, storeRoot: root);
                Assert.NotEqual(0, result.ExitCode);
                Assert.Contains(message, result.StandardError);
                Assert.DoesNotContain("internal error", result.StandardError);
            }
        }
        Assert.Equal(["notes.txt"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));
        Assert.Equal("mine\n", File.ReadAllText(dir.Combine("notes.txt")));
    }

    [Fact]
    public async Task A_store_root_too_deep_for_sqlite_is_refused_with_the_reason()
    {
        using var dir = new TempDirectory("sbuild-deep-root-");
        var root = Path.Combine(dir.Path, new string('d', 200), new string('e', 200), new string('f', 100));
        File.WriteAllText(dir.Combine("Dockerfile"), "FROM scratch\nCOPY Dockerfile /\n"); // no base to pull first

        var result = await sbuild.RunAsync(["build", dir.Path], allowFailure: true, storeRoot: root);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("is in too deep a directory: SQLite needs its path below 512 bytes; use a shorter --root", result.StandardError);
        Assert.DoesNotContain("internal error", result.StandardError);
    }

    [Fact]
    public async Task A_step_making_a_file_name_that_is_not_utf8_builds_and_the_store_stays_consistent()
    {
        // Once refused, such a name now keeps its bytes (NonUtf8NameTests compares them with BuildKit's): the snapshot
        // holding it must not trouble the store's own checks.
        using var context = new TempDirectory("sbuild-bad-name-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN touch \"$(printf 'bad\\377name')\"\nRUN ls / > /listing\n");
        await sbuild.RunAsync([context.Path]);
        var doctor = await sbuild.RunAsync(["doctor"]);
        Assert.Contains("store is consistent", doctor.StandardOutput + doctor.StandardError);
    }

    [Fact]
    public async Task An_unknown_user_is_reported_at_the_run_that_needs_it()
    {
        var (error, _) = await FailingBuild("FROM busybox\nUSER nobody-here\nRUN id\n");
        Assert.Contains("CTX/Dockerfile:3:", error);
        Assert.Contains("unable to find user nobody-here", error);
    }

    [Fact]
    public async Task Syntax_error_names_file_line_and_column()
    {
        var (error, _) = await FailingBuild("FROM busybox\nRUN true\nFROBNICATE now\n");
        Assert.Contains("CTX/Dockerfile:3:", error);
        Assert.Contains("FROBNICATE", error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Unknown_stage_in_copy_from_names_it_and_the_line()
    {
        var (error, _) = await FailingBuild("FROM busybox AS one\nFROM busybox\nCOPY --from=nope /x /y\n");
        Assert.Contains("CTX/Dockerfile:3:", error);
        Assert.Contains("nope", error);
    }

    [Fact]
    public async Task Missing_base_image_is_named()
    {
        var (error, _) = await FailingBuild("FROM no-such-image:7\nRUN true\n");
        Assert.Contains("CTX/Dockerfile:1:", error);
        Assert.Contains("no-such-image:7", error);
    }

    [Fact]
    public async Task Failing_run_shows_command_exit_code_and_output()
    {
        var (error, _) = await FailingBuild("FROM busybox\nCOPY file.txt /\nRUN echo first line && echo 'it broke' >&2 && exit 7\n");
        Assert.Contains("CTX/Dockerfile:3:", error);
        Assert.Contains("exit code 7", error);
        Assert.Contains("echo first line", error);
        Assert.Contains("it broke", error);
    }

    [Fact]
    public async Task Missing_copy_source_is_named()
    {
        var (error, _) = await FailingBuild("FROM busybox\nCOPY missing.txt /\n");
        Assert.Contains("missing.txt", error);
        Assert.Contains("CTX/Dockerfile:2:", error);
    }

    [Fact]
    public async Task Unknown_target_lists_the_stages()
    {
        var (error, _) = await FailingBuild("FROM busybox AS alpha\nFROM busybox AS beta\n", "--target", "gamma");
        Assert.Contains("gamma", error);
        Assert.Contains("alpha, beta", error);
    }

    [Fact]
    public async Task Bad_output_flag_names_the_flag()
    {
        var (error, _) = await FailingBuild("FROM busybox\n", "-o", "type=floppy,dest=x");
        Assert.Contains("--output", error);
    }

    [Fact]
    public async Task Invalid_FROM_platform_is_refused_but_the_build_platform_works()
    {
        var (error, _) = await FailingBuild("FROM --platform=$BUILDPLATFORM busybox AS ok\nRUN true\nFROM --platform=linux busybox\n");
        Assert.Contains("CTX/Dockerfile:3:", error);
        Assert.Contains("FROM --platform=linux: invalid platform: expected OS/ARCH[/VARIANT]", error);
        using var context = new TempDirectory("sbuild-platform-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM --platform=$BUILDPLATFORM busybox\nRUN true\n");
        await sbuild.RunAsync([context.Path]);
    }

    [Fact]
    public async Task Run_of_a_missing_program_names_it_and_the_line()
    {
        var (error, _) = await FailingBuild("FROM busybox\nRUN [\"/no/such/program\", \"x\"]\n");
        Assert.Contains("CTX/Dockerfile:2:", error);
        Assert.Contains("/no/such/program", error);
    }

    [Theory]
    [InlineData("ADD https://example.invalid/r.git file.txt /dst/", "git repository together with other sources")]
    [InlineData("RUN --device=/dev/fuse true", "--device")]
    public async Task Unsupported_flags_are_refused_at_their_line_never_ignored(string instruction, string flag)
    {
        var (error, _) = await FailingBuild($"FROM busybox\n{instruction}\n");
        Assert.Contains("CTX/Dockerfile:2:", error);
        Assert.Contains(flag, error);
        Assert.Contains("not supported yet", error);
    }
}
