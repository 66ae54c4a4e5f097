using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// <c>--squash</c> against docker's behaviour (moby's SquashImage, docker 20.10's experimental <c>docker build
/// --squash</c>): the base image's layers, then exactly one layer that holds the final difference (files made and deleted
/// in between gone, deletions from the base kept as whiteouts, read with GNU tar), the history kept with the later steps
/// marked empty_layer and a "merge IMAGE to BASE" entry naming the unsquashed image's ID; docker loads and runs it and
/// its history reads the same in docker as in sbuild.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class SquashTests(SbuildCli sbuild, DockerDaemon docker) : IClassFixture<SbuildCli>, IClassFixture<DockerDaemon>
{
    private const string Dockerfile = """
        FROM busybox
        RUN mkdir -p /data && echo one > /data/kept && head -c 100000 /dev/zero > /data/tmp.bin && echo gone > /data/second
        ENV STEP=2
        RUN rm /data/tmp.bin && rm /bin/wget && mkdir /scratch && echo x > /scratch/x
        COPY hello.txt /data/
        WORKDIR /work
        RUN echo three > /work/made && rm /data/second && rm -r /scratch
        CMD ["sh", "-c", "cat /data/kept /data/hello.txt /work/made; ls /data; test -e /bin/wget || echo no-wget"]
        """;

    [Fact]
    public async Task Squash_makes_one_layer_on_the_base_keeps_history_and_docker_runs_it()
    {
        using var context = new TempDirectory("sbuild-squash-");
        File.WriteAllText(context.Combine("Dockerfile"), Dockerfile);
        File.WriteAllText(context.Combine("hello.txt"), "hello\n");
        await sbuild.RunAsync(["-t", "unsquashed:1", context.Path], epoch: 0);
        await sbuild.RunAsync(["--squash", "-t", "squashed:1", context.Path], epoch: 0);

        var store = sbuild.Store;
        var busybox = Image(store, "busybox");
        var plain = Image(store, "unsquashed:1");
        var squashed = Image(store, "squashed:1");
        var baseLayers = busybox.Manifest.Layers.Count;
        Assert.Equal(baseLayers + 5, plain.Manifest.Layers.Count); // 3 RUNs, COPY, WORKDIR
        Assert.Equal(baseLayers + 1, squashed.Manifest.Layers.Count);
        Assert.Equal(busybox.Manifest.Layers, squashed.Manifest.Layers.Take(baseLayers));
        Assert.Equal(baseLayers + 1, squashed.Config.RootFs.DiffIds.Count);

        // History: the base's entries as they were, every later one kept and marked empty_layer, then the merge entry.
        var history = squashed.Config.History!;
        Assert.Equal(plain.Config.History!.Count + 1, history.Count);
        Assert.Equal(busybox.Config.History, history.Take(busybox.Config.History!.Count));
        foreach (var (entry, original) in history.Skip(busybox.Config.History!.Count).Zip(plain.Config.History!.Skip(busybox.Config.History!.Count)))
            Assert.Equal(original with { EmptyLayer = true }, entry);
        var merge = history[^1];
        Assert.Null(merge.CreatedBy);
        Assert.Null(merge.EmptyLayer);
        Assert.Equal($"merge {plain.Id} to {busybox.Id}", merge.Comment);
        Assert.Equal(plain.Config.Config!.Cmd, squashed.Config.Config!.Cmd);

        // The merged layer, listed by GNU tar: what the final tree has beyond the base, and whiteouts for the base's deletions.
        var blob = store.Content.PathOf(squashed.Manifest.Layers[^1].Digest);
        var listing = (await ProcessRunner.RunAsync(Tools.Tar, ["-tzf", blob], CancellationToken.None)).StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(n => n.TrimEnd('/')).ToHashSet();
        Assert.Superset(new HashSet<string> { "data/kept", "data/hello.txt", "work/made", "bin/.wh.wget" }, listing);
        Assert.DoesNotContain(listing, n => n.Contains("tmp.bin") || n.Contains("second") || n.Contains("scratch"));
        Assert.Single(listing, n => n.Contains(".wh."));

        var archive = context.Combine("squashed.tar");
        await sbuild.RunAsync(["save", "-o", archive, "squashed:1"]);
        try
        {
            await docker.Client.RunAsync(["load", "-i", archive], CancellationToken.None);
            var run = await docker.Client.RunAsync(["run", "--rm", "--network=none", "squashed:1"], CancellationToken.None);
            Assert.Equal("one\nhello\nthree\nhello.txt\nkept\nno-wget\n", run.StandardOutput);
            // The history reads the same in docker and sbuild (sizes, steps, the merge comment).
            string[] format = ["--no-trunc", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}", "squashed:1"];
            var dockerHistory = await docker.Client.RunAsync(["history", .. format], CancellationToken.None);
            var sbuildHistory = await sbuild.RunAsync(["history", .. format]);
            Assert.Equal(dockerHistory.StandardOutput, sbuildHistory.StandardOutput);
            Assert.Contains($"merge {plain.Id} to {busybox.Id}", sbuildHistory.StandardOutput);
        }
        finally
        {
            await docker.Client.RunAsync(["rmi", "-f", "squashed:1"], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Squash_from_scratch_is_one_layer_created_new_from_the_unsquashed_image()
    {
        using var context = new TempDirectory("sbuild-squash-scratch-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM scratch\nCOPY a.txt /\nCOPY b.txt /sub/\n");
        File.WriteAllText(context.Combine("a.txt"), "a\n");
        File.WriteAllText(context.Combine("b.txt"), "b\n");
        await sbuild.RunAsync(["-t", "scratch-plain:1", context.Path], epoch: 0);
        await sbuild.RunAsync(["--squash", "-t", "scratch-squashed:1", context.Path], epoch: 0);

        var plain = Image(sbuild.Store, "scratch-plain:1");
        var squashed = Image(sbuild.Store, "scratch-squashed:1");
        Assert.Single(squashed.Manifest.Layers);
        Assert.Equal($"create new from {plain.Id}", squashed.Config.History![^1].Comment);
        Assert.All(squashed.Config.History.SkipLast(1), h => Assert.True(h.EmptyLayer));
        var listing = await ProcessRunner.RunAsync(Tools.Tar, ["-tzf", sbuild.Store.Content.PathOf(squashed.Manifest.Layers[0].Digest)], CancellationToken.None);
        Assert.Equal(["a.txt", "sub/", "sub/b.txt"], listing.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static (Digest Id, ImageManifest Manifest, ImageConfig Config) Image(ImageStore store, string name)
    {
        var manifest = store.ReadManifest(store.Find(ImageReference.Parse(name))!.Manifest.Digest);
        return (manifest.Config.Digest, manifest, store.ReadConfig(manifest.Config.Digest));
    }
}
