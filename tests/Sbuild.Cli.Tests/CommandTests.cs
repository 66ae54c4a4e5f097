using System.Formats.Tar;
using System.Text.RegularExpressions;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

public sealed class CommandTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    [Fact]
    public async Task Images_lists_the_imported_base_like_docker_images()
    {
        var result = await sbuild.RunAsync(["images"]);
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$", lines[0]);
        var image = sbuild.Store.Find(ImageReference.Parse("busybox"))!;
        var configDigest = sbuild.Store.ReadManifest(image.Manifest.Digest).Config.Digest;
        Assert.Contains(lines, l => l.StartsWith("busybox ") && l.Contains(" latest ") && l.Contains(configDigest.Short));
    }

    [Fact]
    public async Task Import_is_reproducible_with_source_date_epoch()
    {
        var first = await sbuild.RunAsync(["image", "import", sbuild.BusyboxTar, "again:1"], epoch: 0);
        var second = await sbuild.RunAsync(["image", "import", sbuild.BusyboxTar, "again:2"], epoch: 0);
        Assert.Equal(first.StandardOutput, second.StandardOutput);
        var config = sbuild.Store.ReadConfig(Digest.Parse(first.StandardOutput.Trim()));
        Assert.Single(config.RootFs.DiffIds);
        Assert.Equal(DateTimeOffset.UnixEpoch, config.Created);
    }

    [Fact]
    public async Task Target_stops_at_the_named_stage_and_the_build_subcommand_is_the_same()
    {
        using var context = new TempDirectory("sbuild-target-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox AS first\nENV STAGE=first\nFROM first\nENV STAGE=second\n");
        var viaRoot = await sbuild.RunAsync(["--target", "first", "-t", "t:first", context.Path], epoch: 0);
        var viaBuild = await sbuild.RunAsync(["build", "--target", "first", "-t", "t:first2", context.Path], epoch: 0);
        Assert.Equal(viaRoot.StandardOutput, viaBuild.StandardOutput);
        var config = sbuild.Store.ReadConfig(Digest.Parse(viaRoot.StandardOutput.Trim()));
        Assert.Contains("STAGE=first", config.Config.Env!);
    }

    [Fact]
    public async Task No_cache_runs_every_step_and_still_records_them_for_the_next_build()
    {
        using var context = new TempDirectory("sbuild-nocache-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nCOPY a.txt /a.txt\nRUN cat /proc/sys/kernel/random/uuid > /run-id\n");
        File.WriteAllText(context.Combine("a.txt"), "content\n");
        await sbuild.RunAsync(["-t", "nocache:1", context.Path], epoch: 0);
        var cached = await sbuild.RunAsync(["--progress", "plain", "-t", "nocache:1", context.Path], epoch: 0);
        Assert.Equal(2, Regex.Matches(cached.StandardError, @"^#\d+ CACHED$", RegexOptions.Multiline).Count);

        var uncached = await sbuild.RunAsync(["--no-cache", "--progress", "plain", "-t", "nocache:1", context.Path], epoch: 0);
        Assert.DoesNotMatch(@"(?m)^#\d+ CACHED$", uncached.StandardError);
        Assert.Equal(3, Regex.Matches(uncached.StandardError, @"^#\d+ DONE ", RegexOptions.Multiline).Count);
        Assert.NotEqual(cached.StandardOutput, uncached.StandardOutput); // the RUN ran again: a new random id, a new image

        var after = await sbuild.RunAsync(["--progress", "plain", "-t", "nocache:1", context.Path], epoch: 0);
        Assert.Equal(uncached.StandardOutput, after.StandardOutput); // what --no-cache ran is what the cache now answers
        Assert.Equal(2, Regex.Matches(after.StandardError, @"^#\d+ CACHED$", RegexOptions.Multiline).Count);
    }

    [Fact]
    public async Task No_cache_filter_reruns_the_named_stage_and_what_uses_it()
    {
        using var context = new TempDirectory("sbuild-nocache-filter-");
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM busybox AS deps
            RUN echo deps > /deps
            FROM busybox AS tools
            RUN echo tools > /tools
            FROM busybox
            COPY --from=deps /deps /deps
            COPY --from=tools /tools /tools
            """);
        await sbuild.RunAsync([context.Path], epoch: 0);

        var final = await sbuild.RunAsync(["--progress", "plain", "--no-cache-filter", "tools", context.Path], epoch: 0);
        Assert.True(PlainProgressLog.Ran(final.StandardError, "[tools 2/2] RUN echo tools > /tools"));
        Assert.True(PlainProgressLog.Ran(final.StandardError, "[stage-2 3/3] COPY --from=tools /tools /tools")); // uses the re-run stage
        Assert.False(PlainProgressLog.Ran(final.StandardError, "[deps 2/2] RUN echo deps > /deps"));
        Assert.False(PlainProgressLog.Ran(final.StandardError, "[stage-2 2/3] COPY --from=deps /deps /deps"));
    }

    [Fact]
    public async Task Copy_from_a_stage_is_keyed_by_the_files_it_selects_not_by_the_whole_stage()
    {
        using var context = new TempDirectory("sbuild-copy-from-key-");
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM busybox AS src
            ARG OTHER=1
            ARG OWNER=0
            RUN echo keep > /keep && echo $OTHER > /other && chown $OWNER /keep
            FROM busybox
            COPY --from=src /keep /keep
            RUN cat /keep > /copied
            """);
        var first = await sbuild.RunAsync(["--progress", "plain", context.Path], epoch: 0);
        Assert.True(PlainProgressLog.Ran(first.StandardError, "[stage-1 2/3] COPY --from=src /keep /keep"));

        // The stage runs again (another /other), but /keep is the same: the COPY and what follows come from the cache.
        var otherChanged = await sbuild.RunAsync(["--progress", "plain", "--build-arg", "OTHER=2", context.Path], epoch: 0);
        Assert.True(PlainProgressLog.Ran(otherChanged.StandardError, "[src 4/4] RUN echo keep > /keep && echo $OTHER > /other && chown $OWNER /keep"));
        Assert.False(PlainProgressLog.Ran(otherChanged.StandardError, "[stage-1 2/3] COPY --from=src /keep /keep"));
        Assert.False(PlainProgressLog.Ran(otherChanged.StandardError, "[stage-1 3/3] RUN cat /keep > /copied"));
        Assert.Equal(first.StandardOutput, otherChanged.StandardOutput);

        // COPY --from keeps owners, so an owner change of a selected file is a change.
        var ownerChanged = await sbuild.RunAsync(["--progress", "plain", "--build-arg", "OWNER=7", context.Path], epoch: 0);
        Assert.True(PlainProgressLog.Ran(ownerChanged.StandardError, "[stage-1 2/3] COPY --from=src /keep /keep"));
        Assert.NotEqual(first.StandardOutput, ownerChanged.StandardOutput);

        var missing = await sbuild.RunAsync(["-f", "-", context.Path], allowFailure: true, epoch: 0,
            input: "FROM busybox AS src\nFROM busybox\nCOPY --from=src /nothere /x\n");
        Assert.Matches(@"Dockerfile:3:1|:3:", missing.StandardError);
        Assert.Contains("/nothere", missing.StandardError);
    }

    [Fact]
    public async Task Dockerfile_and_context_can_come_from_standard_input()
    {
        using var context = new TempDirectory("sbuild-stdin-");
        File.WriteAllText(context.Combine("a.txt"), "from the context\n");
        var fromStdin = await sbuild.RunAsync(["-f", "-", "-t", "stdin:1", context.Path], epoch: 0, input: "FROM busybox\nCOPY a.txt /a.txt\n");
        Assert.Contains("COPY a.txt /a.txt # buildkit", HistoryOf(fromStdin));

        // A tar archive on stdin is the context, Dockerfile included (plain tar: the test hands stdin over as text).
        using var tarred = new MemoryStream();
        using (var writer = new TarWriter(tarred, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (name, text) in new[] { ("Dockerfile", "FROM busybox\nCOPY b.txt /b.txt\n"), ("b.txt", "in the tar\n") })
                writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.ASCII.GetBytes(text)) });
        }
        var tarContext = await sbuild.RunAsync(["-t", "stdin:2", "-"], epoch: 0, input: System.Text.Encoding.Latin1.GetString(tarred.ToArray()));
        Assert.Contains("COPY b.txt /b.txt # buildkit", HistoryOf(tarContext));

        // Not an archive: stdin is the Dockerfile and the context is empty.
        var bare = await sbuild.RunAsync(["-t", "stdin:3", "-"], epoch: 0, input: "FROM busybox\nENV FROM_STDIN=1\n");
        Assert.Contains("FROM_STDIN=1", sbuild.Store.ReadConfig(Digest.Parse(bare.StandardOutput.Trim())).Config.Env!);

        var both = await sbuild.RunAsync(["-f", "-", "-"], allowFailure: true, input: "FROM busybox\n");
        Assert.Contains("error[SB9001]", both.StandardError);
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(sbuild.StoreRoot, "tmp"), "stdin-*"));

        // A store that does not exist yet is made before standard input is kept in its scratch space (which once made
        // the new directory look like a foreign one and refused it).
        using var fresh = new TempDirectory("sbuild-stdin-root-");
        var freshRoot = fresh.Combine("store");
        var intoFresh = await sbuild.RunAsync(["-f", "-", context.Path], epoch: 0, storeRoot: freshRoot, input: "FROM scratch\nCOPY a.txt /a.txt\n");
        Assert.StartsWith("sha256:", intoFresh.StandardOutput.Trim());
        Assert.True(File.Exists(Path.Combine(freshRoot, "oci-layout")));
    }

    private string HistoryOf(ProcessResult build) =>
        string.Join('\n', sbuild.Store.ReadConfig(Digest.Parse(build.StandardOutput.Trim())).History.Select(h => h.CreatedBy));

    [Fact]
    public async Task Deterministic_build_gives_the_same_image_id_twice_and_a_cached_rebuild_runs_nothing()
    {
        using var context = new TempDirectory("sbuild-det-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\n");
        File.WriteAllText(context.Combine("a.txt"), "content\n");
        var first = await sbuild.RunAsync(["-t", "det:1", context.Path], epoch: 1700000000);
        var second = await sbuild.RunAsync(["--progress", "plain", "-t", "det:1", context.Path], epoch: 1700000000);
        Assert.Equal(first.StandardOutput, second.StandardOutput);
        // COPY and RUN come from the cache; only the base image step (never cached: its snapshots are the cache) runs.
        Assert.Equal(2, Regex.Matches(second.StandardError, @"^#\d+ CACHED$", RegexOptions.Multiline).Count);
        Assert.Single(Regex.Matches(second.StandardError, @"^#\d+ DONE ", RegexOptions.Multiline));

        File.WriteAllText(context.Combine("a.txt"), "changed\n");
        var third = await sbuild.RunAsync(["-t", "det:1", context.Path], epoch: 1700000000);
        Assert.NotEqual(first.StandardOutput, third.StandardOutput);
    }

    [Fact]
    public async Task History_marks_metadata_steps_as_empty_layers_and_labels_are_inherited()
    {
        using var context = new TempDirectory("sbuild-history-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox AS base\nLABEL inherited=yes\nFROM base\nENV A=1\nRUN echo hi > /x\nLABEL own=1\nRUN true\n");
        var built = await sbuild.RunAsync(["-t", "history:1", context.Path], epoch: 0);
        var config = sbuild.Store.ReadConfig(Digest.Parse(built.StandardOutput.Trim()));
        Assert.Equal(new SortedDictionary<string, string> { ["inherited"] = "yes", ["own"] = "1" }, config.Config.Labels);
        var steps = config.History.Skip(1).Select(h => (h.CreatedBy, h.EmptyLayer == true)).ToList();
        Assert.Equal(
        [
            ("LABEL inherited=yes", true),
            ("ENV A=1", true),
            ("RUN /bin/sh -c echo hi > /x # buildkit", false),
            ("LABEL own=1", true),
            ("RUN /bin/sh -c true # buildkit", false), // changes nothing, yet a layer (empty) as in BuildKit
        ], steps);
        Assert.All(config.History, h => Assert.Equal(DateTimeOffset.UnixEpoch, h.Created));
        // One layer for busybox and one per RUN; an empty layer is the empty tar (1024 zero bytes).
        Assert.Equal(3, config.RootFs.DiffIds.Count);
        Assert.Equal("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef", config.RootFs.DiffIds[^1].ToString());
    }

    [Fact]
    public async Task Proxy_build_args_reach_run_but_not_the_cache_key_or_history()
    {
        using var context = new TempDirectory("sbuild-proxy-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN echo \"proxy=$http_proxy\" > /proxy.txt\n");
        var first = await sbuild.RunAsync(["--build-arg", "http_proxy=http://one.invalid", "-t", "proxy:1", context.Path], epoch: 0);
        var second = await sbuild.RunAsync(["--progress", "plain", "--build-arg", "http_proxy=http://two.invalid", "-t", "proxy:1", context.Path], epoch: 0);
        Assert.Equal(first.StandardOutput, second.StandardOutput);
        Assert.Matches(@"(?m)^#\d+ CACHED$", second.StandardError);
        Assert.DoesNotContain("WARN", second.StandardError); // a proxy arg is never "unused"
        var config = sbuild.Store.ReadConfig(Digest.Parse(first.StandardOutput.Trim()));
        Assert.DoesNotContain(config.History, h => h.CreatedBy?.Contains("invalid") == true);
        var image = sbuild.Store.Find(ImageReference.Parse("proxy:1"))!;
        var top = sbuild.Store.ReadManifest(image.Manifest.Digest).Layers[^1];
        var listing = await ProcessRunner.RunAsync(Tools.Tar, ["-xzOf", sbuild.Store.Content.PathOf(top.Digest), "proxy.txt"], CancellationToken.None);
        Assert.Equal("proxy=http://one.invalid\n", listing.StandardOutput);
    }

    [Fact]
    public async Task Without_source_date_epoch_a_cached_rebuild_keeps_the_image_id_like_buildkit()
    {
        using var context = new TempDirectory("sbuild-created-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN date > /built-at\nENV A=1\n");
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var first = await sbuild.RunAsync(["-t", "created:1", context.Path]);
        await Task.Delay(1100);
        var second = await sbuild.RunAsync(["-t", "created:1", context.Path]);
        Assert.Equal(first.StandardOutput, second.StandardOutput);
        // The image is as old as its newest layer: the time the RUN actually ran.
        var config = sbuild.Store.ReadConfig(Digest.Parse(first.StandardOutput.Trim()));
        Assert.InRange(config.Created!.Value, before, DateTimeOffset.UtcNow);
    }
}
