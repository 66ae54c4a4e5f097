using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>One bad step never bricks a store: a step that nests directories past PATH_MAX, a build that fills the disk.</summary>
public sealed class StoreResilienceTests
{
    /// <summary>20 directories of 200 bytes and one more: 4,097 bytes inside the container, beyond PATH_MAX once the
    /// store's snapshot directory is in front. The step may fail (its layer cannot be read by path), but its snapshot
    /// is removed, and later builds and a prune work.</summary>
    [Fact]
    public async Task A_step_that_nests_directories_past_path_max_leaves_a_working_store()
    {
        await using var sbuild = await SbuildCliStore.CreateAsync();
        using var context = new TempDirectory("sbuild-deep-");
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM busybox
            RUN d=$(printf 'd%.0s' $(seq 200)); for i in $(seq 20); do mkdir "$d" && cd "$d"; done; mkdir e$(printf 'e%.0s' $(seq 75)); pwd | wc -c; echo hi > e*/f
            """);
        var deep = await sbuild.Cli.RunAsync(["build", "--progress", "plain", context.Path], allowFailure: true);
        Assert.DoesNotContain("internal error", deep.StandardError);

        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN echo after\n");
        await sbuild.Cli.RunAsync(["build", "--progress", "plain", "-t", "after", context.Path]);
        await sbuild.Cli.RunAsync(["prune", "-f", "--all"]);
        await sbuild.Cli.RunAsync(["build", "--progress", "plain", "-t", "after-prune", context.Path]);

        var problems = await StoreState.ProblemsAsync(sbuild.Cli.StoreRoot);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>20 directories of 200 bytes and one of 50 holding a file: a 4,073-byte path inside the container, past
    /// PATH_MAX once the store's snapshot directory is in front of it. BuildKit exports it; so does sbuild: the step
    /// succeeds and the layer holds the file, as GNU tar reads it.</summary>
    [Fact]
    public async Task A_step_that_makes_a_path_of_4000_bytes_succeeds_and_its_layer_holds_the_file()
    {
        await using var sbuild = await SbuildCliStore.CreateAsync();
        using var context = new TempDirectory("sbuild-deep-");
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM busybox
            RUN d=$(printf 'd%.0s' $(seq 200)); for i in $(seq 20); do mkdir "$d" && cd "$d"; done; e=$(printf 'e%.0s' $(seq 50)); mkdir $e && echo deep file > $e/f && echo "$(pwd)/$e/f" | wc -c
            """);
        var archive = context.Combine("image.tar");

        var build = await sbuild.Cli.RunAsync(["build", "--progress", "plain", "-o", $"type=oci,dest={archive}", context.Path], allowFailure: true);

        Assert.True(build.ExitCode == 0, build.StandardError);
        Assert.Contains(" 4074\n", build.StandardError); // wc -c: the path and its newline
        var layerFile = await LastLayerAsync(archive, context.Combine("layout"));
        var listing = await ProcessRunner.RunAsync("tar", ["-tzf", layerFile], CancellationToken.None);
        var deep = Assert.Single(listing.StandardOutput.Split('\n'), name => name.EndsWith("/" + new string('e', 50) + "/f", StringComparison.Ordinal));
        Assert.Equal(4072, deep.Length); // the container's path without its leading slash
        var content = await ProcessRunner.RunAsync("tar", ["-xzOf", layerFile, deep], CancellationToken.None);
        Assert.Equal("deep file\n", content.StandardOutput);
    }

    /// <summary>A tree deeper than PATH_MAX measured from the container's root (a 6,048-byte path; the container makes
    /// it by moving a 2,000-byte-deep directory below a 4,000-byte-deep one, as no single call may name it). BuildKit's
    /// differ walks it; so does sbuild's: the layer holds the file under its full name (a PAX path, as GNU tar reads
    /// it), and a later build on the image, in the same store, works — with either snapshotter (the copy one copies the
    /// tree for the next step, and both extract the image's layers for a build FROM it).</summary>
    [Theory]
    [InlineData("overlay")]
    [InlineData("native")]
    public async Task A_step_that_makes_a_tree_deeper_than_path_max_succeeds_and_its_layer_holds_the_file(string snapshotter)
    {
        var environment = new Dictionary<string, string?> { ["SBUILD_SNAPSHOTTER"] = snapshotter };
        await using var sbuild = await SbuildCliStore.CreateAsync();
        using var context = new TempDirectory("sbuild-deep-");
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM busybox
            RUN d=$(printf 'd%.0s' $(seq 200)); p=$d/$d/$d/$d/$d/$d/$d/$d/$d/$d; mkdir -p /deep/$p && echo deepest > /deep/$p/file.txt && mkdir -p /top/$p/$p && mv /deep /top/$p/$p/
            """);
        var archive = context.Combine("image.tar");

        var build = await sbuild.Cli.RunAsync(["build", "--progress", "plain", "-t", "deep", "-o", $"type=oci,dest={archive}", context.Path], allowFailure: true, environment: environment);

        Assert.True(build.ExitCode == 0, build.StandardError);
        var layerFile = await LastLayerAsync(archive, context.Combine("layout"));
        var listing = await ProcessRunner.RunAsync("tar", ["-tzf", layerFile], CancellationToken.None);
        var d = new string('d', 200);
        var p = string.Join('/', Enumerable.Repeat(d, 10));
        var deepest = $"top/{p}/{p}/deep/{p}/file.txt";
        Assert.Equal(6047, deepest.Length); // the container's path without its leading slash
        Assert.Contains(deepest, listing.StandardOutput.Split('\n'));
        Assert.Contains($"top/{p}/{p}/deep/{p}/", listing.StandardOutput.Split('\n')); // its directories too
        var content = await ProcessRunner.RunAsync("tar", ["-xzOf", layerFile, deepest], CancellationToken.None);
        Assert.Equal("deepest\n", content.StandardOutput);

        File.WriteAllText(context.Combine("Dockerfile"), "FROM deep\nRUN ls /top > /listed\n");
        var later = await sbuild.Cli.RunAsync(["build", "--progress", "plain", "-t", "later", context.Path], allowFailure: true, environment: environment);
        Assert.True(later.ExitCode == 0, later.StandardError);
        var problems = await StoreState.ProblemsAsync(sbuild.Cli.StoreRoot);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>A store on a 32 MB tmpfs; a step writes 20 MB of random bytes, whose layer does not fit beside it.</summary>
    [Fact]
    public async Task A_full_disk_fails_with_the_real_error_leaves_nothing_and_a_build_works_once_space_is_freed()
    {
        await using var sbuild = await SbuildCliStore.CreateAsync();
        using var disk = new TempDirectory("sbuild-full-");
        var mountPoint = disk.Combine("disk");
        Directory.CreateDirectory(mountPoint);
        await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "-o", "size=32m", "tmpfs", mountPoint], CancellationToken.None);
        try
        {
            var store = Path.Combine(mountPoint, "store");
            await sbuild.Cli.RunAsync(["image", "import", sbuild.Cli.BusyboxTar, "busybox:latest"], storeRoot: store);
            using var context = new TempDirectory("sbuild-full-context-");
            File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN head -c 20000000 /dev/urandom > /big\n");

            var full = await sbuild.Cli.RunAsync(["build", "--progress", "plain", context.Path], allowFailure: true, storeRoot: store);

            Assert.NotEqual(0, full.ExitCode);
            Assert.Contains("No space left on device", full.StandardError);
            Assert.DoesNotContain("internal error", full.StandardError);
            var problems = await StoreState.ProblemsAsync(store);
            Assert.True(problems.Count == 0, string.Join('\n', problems));

            await ProcessRunner.RunAsync("mount", ["-o", "remount,size=96m", mountPoint], CancellationToken.None);
            await sbuild.Cli.RunAsync(["build", "--progress", "plain", "-t", "big", context.Path], storeRoot: store);
            problems = await StoreState.ProblemsAsync(store);
            Assert.True(problems.Count == 0, string.Join('\n', problems));
        }
        finally
        {
            await ProcessRunner.RunAsync("umount", ["-l", mountPoint], CancellationToken.None);
        }
    }

    /// <summary>The top layer's blob of the image in OCI archive <paramref name="archive"/>, unpacked into <paramref name="layout"/>.</summary>
    private static async Task<string> LastLayerAsync(string archive, string layout)
    {
        Directory.CreateDirectory(layout);
        await ProcessRunner.RunAsync("tar", ["-xf", archive, "-C", layout], CancellationToken.None);
        using var index = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json")));
        var manifestDigest = index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
        using var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "blobs", "sha256", manifestDigest["sha256:".Length..])));
        var layer = manifest.RootElement.GetProperty("layers").EnumerateArray().Last().GetProperty("digest").GetString()!;
        return Path.Combine(layout, "blobs", "sha256", layer["sha256:".Length..]);
    }
}
