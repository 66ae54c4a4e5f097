using System.Text.RegularExpressions;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// Which change misses which step, as BuildKit decides it: each row changes one thing after a build of the base state
/// and says whether the COPY and the RUN after it come from the cache.
/// </summary>
public sealed class CacheMatrixTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    private const string BaseDockerfile = "FROM busybox\nARG V=1\nENV E=1\nCOPY a.txt /a.txt\nRUN cat /a.txt > /out\n";

    public static TheoryData<string, bool, bool> Rows => new()
    {
        { "nothing", true, true },
        { "a context file COPY does not select is added", true, true },
        { "a .dockerignored file changes", true, true },
        { "only the mtime of the copied file changes", true, true },
        { "a comment is added to the Dockerfile", true, true },
        { "the copied file's content changes", false, false },
        { "the copied file's mode changes", false, false },
        { "a build arg the RUN sees changes", true, false },
        { "an ENV value changes", true, false },
        { "the RUN's text changes", true, false },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task A_change_misses_exactly_the_steps_that_depend_on_it(string change, bool copyCached, bool runCached)
    {
        using var context = new TempDirectory("sbuild-matrix-");
        var dockerfile = context.Combine("Dockerfile");
        File.WriteAllText(dockerfile, BaseDockerfile);
        File.WriteAllText(context.Combine(".dockerignore"), "ignored.txt\n");
        File.WriteAllText(context.Combine("a.txt"), $"{change}\n"); // each row its own content: no row hits another's records
        File.WriteAllText(context.Combine("ignored.txt"), "1\n");
        await sbuild.RunAsync([context.Path], epoch: 0);

        var args = new List<string> { "--progress", "plain" };
        switch (change)
        {
            case "a context file COPY does not select is added": File.WriteAllText(context.Combine("b.txt"), "new\n"); break;
            case "a .dockerignored file changes": File.WriteAllText(context.Combine("ignored.txt"), "2\n"); break;
            case "only the mtime of the copied file changes": File.SetLastWriteTimeUtc(context.Combine("a.txt"), new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc)); break;
            case "a comment is added to the Dockerfile": File.WriteAllText(dockerfile, "# a comment\n" + BaseDockerfile); break;
            case "the copied file's content changes": File.AppendAllText(context.Combine("a.txt"), "more\n"); break;
            case "the copied file's mode changes": File.SetUnixFileMode(context.Combine("a.txt"), (UnixFileMode)0x1ED); break;
            case "a build arg the RUN sees changes": args.AddRange(["--build-arg", "V=2"]); break;
            case "an ENV value changes": File.WriteAllText(dockerfile, BaseDockerfile.Replace("ENV E=1", "ENV E=2")); break;
            case "the RUN's text changes": File.WriteAllText(dockerfile, BaseDockerfile.Replace("> /out", ">  /out")); break;
        }
        var second = await sbuild.RunAsync([.. args, context.Path], epoch: 0);
        Assert.Equal(copyCached, IsCached(second.StandardError, "COPY a.txt /a.txt"));
        Assert.Equal(runCached, IsCached(second.StandardError, "RUN cat /a.txt >"));
    }

    [Fact]
    public async Task A_device_node_whose_numbers_change_misses_the_cache_and_the_image_gets_the_new_node()
    {
        // BuildKit v0.32 re-copies it too (checked by hand: its COPY step ran again and the layer held 1,5).
        using var context = new TempDirectory("sbuild-matrix-dev-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nCOPY node /node\nRUN stat -c '%t,%T' /node > /out\n");
        var fs = new RootfsBuilder(context.Path).Device("/node", FileKind.CharDevice, 1, 3);
        await sbuild.RunAsync(["-t", "devnode:1", context.Path], epoch: 0);

        fs.Remove("/node").Device("/node", FileKind.CharDevice, 1, 5);
        var archive = context.Combine("image.tar");
        var second = await sbuild.RunAsync(["--progress", "plain", "-t", "devnode:1", "-o", $"type=oci,dest={archive}", context.Path], epoch: 0);

        Assert.False(IsCached(second.StandardError, "COPY node /node"));
        Assert.False(IsCached(second.StandardError, "RUN stat -c"));
        using var image = await OciImage.ReadArchiveAsync(archive, CancellationToken.None);
        Assert.Equal("1,5\n", File.ReadAllText(Path.Combine(image.RootfsDir, "out")));
    }

    private static bool IsCached(string progress, string step)
    {
        var started = Regex.Match(progress, $@"(?m)^#(\d+) \[\d/\d\] {Regex.Escape(step)}.*$");
        Assert.True(started.Success, $"no step \"{step}\" in:\n{progress}");
        return Regex.IsMatch(progress, $@"(?m)^#{started.Groups[1].Value} CACHED$");
    }
}
