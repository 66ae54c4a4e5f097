using System.Text.RegularExpressions;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>RUN --mount=type=cache|bind|tmpfs end to end: what the RUN sees, what persists, what reaches the layer and the key.</summary>
public sealed class RunMountTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    /// <summary>Paths in the image's last layer (tar -tz of its blob).</summary>
    private async Task<string[]> LastLayerAsync(ProcessResult build)
    {
        var manifest = sbuild.Store.ReadManifest(sbuild.Store.List().First(i => i.Manifest.Digest == ManifestOf(build)).Manifest.Digest);
        var listing = await ProcessRunner.RunAsync("tar", ["-tzf", sbuild.Store.Content.PathOf(manifest.Layers[^1].Digest)], CancellationToken.None);
        return listing.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private Digest ManifestOf(ProcessResult build)
    {
        var id = build.StandardOutput.Trim();
        return sbuild.Store.List().First(i => sbuild.Store.ReadManifest(i.Manifest.Digest).Config.Digest.ToString() == id).Manifest.Digest;
    }

    [Fact]
    public async Task A_cache_mount_persists_across_builds_stays_out_of_the_layer_and_out_of_the_key()
    {
        using var context = new TempDirectory("sbuild-cache-mount-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nARG N\nRUN --mount=type=cache,id=runs-test,target=/var/cache/runs,uid=7,mode=0750 echo run$N >> /var/cache/runs/log && cat /var/cache/runs/log && stat -c '%u %a' /var/cache/runs && echo $N > /built\n");
        await sbuild.RunAsync(["-t", "cachemount:1", "--build-arg", "N=1", context.Path]);
        var second = await sbuild.RunAsync(["--progress", "plain", "-t", "cachemount:2", "--build-arg", "N=2", context.Path]);
        Assert.Matches(@"(?m) run1$\n.* run2$", second.StandardError); // the first build's line is still there
        Assert.Contains(" 7 750", second.StandardError); // owner and mode given to the new directory
        var layer = await LastLayerAsync(second);
        Assert.Contains("built", layer);
        Assert.DoesNotContain(layer, p => p.StartsWith("var/cache", StringComparison.Ordinal)); // neither contents nor the mount point

        // Unchanged instruction, different cache contents: still a cache hit (contents are not keyed).
        var third = await sbuild.RunAsync(["--progress", "plain", "-t", "cachemount:2", "--build-arg", "N=2", context.Path]);
        Assert.Matches(@"(?m)^#\d+ CACHED$", third.StandardError);

        // prune --all frees the contents.
        await sbuild.RunAsync(["prune", "-f", "--all"]);
        var afterPrune = await sbuild.RunAsync(["--progress", "plain", "--build-arg", "N=3", context.Path]);
        Assert.DoesNotContain(" run1", afterPrune.StandardError);
    }

    [Fact]
    public async Task A_cache_mount_from_a_stage_starts_as_its_source_directory_and_is_a_cache_per_base_content()
    {
        using var context = new TempDirectory("sbuild-cache-from-");
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM busybox AS seed
            ARG SEED=one
            RUN mkdir -p /seed/deps && echo $SEED > /seed/deps/list && chown -R 5:6 /seed/deps && chmod 0700 /seed/deps
            FROM busybox
            ARG N
            RUN --mount=type=cache,id=cache-from-test,from=seed,source=/seed/deps,target=/deps \
                echo "N=$N sees $(echo $(cat /deps/list)) $(stat -c '%u:%g %a' /deps)" && echo built$N >> /deps/list
            RUN --mount=type=cache,id=cache-source-test,source=sub/dir,target=/c echo $N >> /c/log
            RUN --mount=type=cache,id=cache-source-test,target=/whole cat /whole/sub/dir/log
            """);
        var first = await sbuild.RunAsync(["--progress", "plain", "--build-arg", "N=1", context.Path]);
        Assert.Contains("N=1 sees one 5:6 700", first.StandardError); // the stage's directory, its owner and mode
        var second = await sbuild.RunAsync(["--progress", "plain", "--build-arg", "N=2", context.Path]);
        Assert.Contains("N=2 sees one built1 5:6 700", second.StandardError); // the same cache: the first build's write stays
        Assert.Matches(@"(?m) 1$\n.* 2$", second.StandardError); // source= without from= is a subdirectory of the cache

        // Another base content is another cache, which starts from the new content.
        var reseeded = await sbuild.RunAsync(["--progress", "plain", "--build-arg", "N=3", "--build-arg", "SEED=two", context.Path]);
        Assert.Contains("N=3 sees two 5:6 700", reseeded.StandardError);

        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox AS seed\nFROM busybox\nRUN --mount=type=cache,from=seed,source=/etc/passwd,target=/c true\n");
        var notDirectory = await sbuild.RunAsync([context.Path], allowFailure: true);
        Assert.Contains("Dockerfile:3", notDirectory.StandardError);
        Assert.Contains("source \"/etc/passwd\" is not a directory", notDirectory.StandardError);
    }

    [Fact]
    public async Task A_bind_of_the_context_shows_only_what_dockerignore_lets_through()
    {
        using var context = new TempDirectory("sbuild-bind-ignore-");
        File.WriteAllText(context.Combine(".dockerignore"), "secret.env\nlogs/\n");
        File.WriteAllText(context.Combine("secret.env"), "TOKEN=1\n");
        File.WriteAllText(context.Combine("app.txt"), "app\n");
        Directory.CreateDirectory(context.Combine("logs"));
        File.WriteAllText(context.Combine("logs/x.log"), "log\n");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN --mount=type=bind,target=/ctx echo $(ls -A /ctx)\n");
        var build = await sbuild.RunAsync(["--progress", "plain", "--no-cache", context.Path]);
        Assert.Contains(" .dockerignore Dockerfile app.txt\n", build.StandardError);

        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN --mount=type=bind,source=secret.env,target=/s cat /s\n");
        var ignored = await sbuild.RunAsync([context.Path], allowFailure: true);
        Assert.Contains("Dockerfile:2", ignored.StandardError);
        Assert.Contains("\"secret.env\" not found", ignored.StandardError);
    }

    [Fact]
    public async Task Bind_mounts_show_context_files_and_other_stages_keyed_by_their_content_and_writes_are_discarded()
    {
        using var context = new TempDirectory("sbuild-bind-mount-");
        File.WriteAllText(context.Combine("config.txt"), "from the context\n");
        File.WriteAllText(context.Combine("other.txt"), "not mounted\n");
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM busybox AS tools
            ARG UNRELATED=1
            RUN mkdir /out && echo tool > /out/tool && echo $UNRELATED > /unrelated
            FROM busybox
            RUN --mount=type=bind,source=config.txt,target=/mnt/config.txt cat /mnt/config.txt > /config-copy
            RUN --mount=from=tools,source=/out,target=/tools cat /tools/tool > /tool-copy
            RUN --mount=type=bind,target=/ctx,rw rm /ctx/config.txt && touch /ctx/new && ls /ctx > /listing
            RUN --mount=type=tmpfs,target=/scratch,size=65536 echo temp > /scratch/t && cat /scratch/t > /tmpfs-copy
            """);
        var first = await sbuild.RunAsync(["--progress", "plain", "-t", "bindmount:1", context.Path]);
        Assert.True(File.Exists(context.Combine("config.txt"))); // the rw bind was a copy
        Assert.False(File.Exists(context.Combine("new")));

        // Another file of the context, and a file of the stage the bind does not show: the binding RUNs stay cached.
        File.WriteAllText(context.Combine("other.txt"), "changed\n");
        var unrelated = await sbuild.RunAsync(["--progress", "plain", "--build-arg", "UNRELATED=2", "-t", "bindmount:1", context.Path]);
        Assert.False(PlainProgressLog.Ran(unrelated.StandardError, "[stage-1 2/5] RUN --mount=type=bind,source=config.txt,target=/mnt/config.txt cat /mnt/config.txt > /config-copy"));
        Assert.False(PlainProgressLog.Ran(unrelated.StandardError, "[stage-1 3/5] RUN --mount=from=tools,source=/out,target=/tools cat /tools/tool > /tool-copy"));

        // The mounted file itself: the RUN runs again.
        File.WriteAllText(context.Combine("config.txt"), "changed config\n");
        var changed = await sbuild.RunAsync(["--progress", "plain", "-t", "bindmount:2", context.Path]);
        Assert.True(PlainProgressLog.Ran(changed.StandardError, "[stage-1 2/5] RUN --mount=type=bind,source=config.txt,target=/mnt/config.txt cat /mnt/config.txt > /config-copy"));

        var image = sbuild.Store.Find(ImageReference.Parse("bindmount:2"))!;
        var layers = sbuild.Store.ReadManifest(image.Manifest.Digest).Layers;
        async Task<string> FileIn(Index layer, string path) =>
            (await ProcessRunner.RunAsync("tar", ["-xzOf", sbuild.Store.Content.PathOf(layers[layer].Digest), path], CancellationToken.None)).StandardOutput;
        Assert.Equal("changed config\n", await FileIn(^4, "config-copy"));
        Assert.Equal("tool\n", await FileIn(^3, "tool-copy"));
        Assert.Contains("new", await FileIn(^2, "listing"));
        Assert.Equal("temp\n", await FileIn(^1, "tmpfs-copy"));
        var last = await ProcessRunner.RunAsync("tar", ["-tzf", sbuild.Store.Content.PathOf(layers[^1].Digest)], CancellationToken.None);
        Assert.DoesNotContain("scratch", last.StandardOutput);

        var missing = await sbuild.RunAsync(["-f", "-", context.Path], allowFailure: true, input: "FROM busybox\nRUN --mount=source=nothere,target=/x true\n");
        Assert.Contains("\"nothere\" not found", missing.StandardError);
        Assert.Matches(@":2:", missing.StandardError);
    }

    [Fact]
    public async Task A_locked_cache_mount_serialises_two_concurrent_builds()
    {
        using var a = new TempDirectory("sbuild-locked-a-");
        using var b = new TempDirectory("sbuild-locked-b-");
        // Each RUN notes when it starts and ends holding the cache; with sharing=locked the two cannot interleave.
        const string run = "RUN --mount=type=cache,id=locked-test,target=/c,sharing=locked echo start-$WHO >> /c/log && sleep 2 && echo end-$WHO >> /c/log && cat /c/log";
        File.WriteAllText(a.Combine("Dockerfile"), $"FROM busybox\nENV WHO=a\n{run}\n");
        File.WriteAllText(b.Combine("Dockerfile"), $"FROM busybox\nENV WHO=b\n{run}\n");
        var first = sbuild.RunAsync(["--progress", "plain", a.Path]);
        var second = sbuild.RunAsync(["--progress", "plain", b.Path]);
        var results = await Task.WhenAll(first, second);
        var log = results.Select(r => Regex.Matches(r.StandardError, @" (start|end)-(a|b)$", RegexOptions.Multiline)).MaxBy(m => m.Count)!;
        Assert.Equal(["start", "end", "start", "end"], log.Select(m => m.Groups[1].Value));
        Assert.Equal(log[0].Groups[2].Value, log[1].Groups[2].Value); // one build's start and end, then the other's
    }
}
