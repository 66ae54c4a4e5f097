using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// A two-platform image (<see cref="TwoPlatformImage"/>: an OCI layout whose index.json names an image index of two real
/// images), loaded. The store keeps the index whole; inspect shows the host's image by default and each platform
/// with <c>--platform</c>, as docker's <c>image inspect --platform</c> on the containerd image store.
/// </summary>
public sealed class MultiPlatformImageTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    private static readonly string HostArch = TwoPlatformImage.HostArch;
    private static readonly string OtherArch = TwoPlatformImage.OtherArch;

    [Fact]
    public async Task A_loaded_two_platform_index_is_kept_whole_and_inspected_per_platform()
    {
        using var work = new TempDirectory("sbuild-multi-");
        var layout = await TwoPlatformImage.CreateAsync(sbuild, work);
        var (hostId, otherId) = (layout.HostId, layout.OtherId);

        var store = work.Combine("store");
        await sbuild.RunAsync(["image", "import", sbuild.BusyboxTar, "busybox:latest"], storeRoot: store, epoch: 0);
        var load = await sbuild.RunAsync(["load", "-i", layout.Tar], storeRoot: store);
        Assert.Equal("Loaded image: multi:1\n", load.StandardOutput);
        // The store's entry is the index itself, and every blob of both platforms is there.
        var images = new ImageStore(store);
        var entry = Assert.Single(images.Entries(), e => e.Name == "multi:1");
        Assert.Equal((MediaTypes.OciIndex, layout.Index), (entry.Manifest.MediaType, entry.Manifest.Digest));
        Assert.All(ImageGraph.Reachable(images.Content, entry.Manifest), d => Assert.True(images.Content.Exists(d.Digest), $"{d.Digest} missing"));

        const string format = "{{.Id}} {{.Os}}/{{.Architecture}} {{.RepoTags}} {{.RepoDigests}}";
        var digests = $"[multi@{layout.Index}]";
        var inspect = await sbuild.RunAsync(["image", "inspect", "--format", format, "multi:1"], storeRoot: store);
        Assert.Equal($"{hostId} linux/{HostArch} [multi:1] {digests}\n", inspect.StandardOutput);
        inspect = await sbuild.RunAsync(["image", "inspect", "--platform", $"linux/{OtherArch}", "--format", format, "multi:1"], storeRoot: store);
        Assert.Equal($"{otherId} linux/{OtherArch} [multi:1] {digests}\n", inspect.StandardOutput);
        inspect = await sbuild.RunAsync(["image", "inspect", "--platform", $"linux/{HostArch}", "--format", format, "multi:1"], storeRoot: store);
        Assert.Equal($"{hostId} linux/{HostArch} [multi:1] {digests}\n", inspect.StandardOutput);

        // moby's error for a platform the image does not have; a single-platform image has only its own.
        var missing = await sbuild.RunAsync(["image", "inspect", "--platform", "linux/s390x", "multi:1"], storeRoot: store, allowFailure: true);
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("[]\n", missing.StandardOutput);
        Assert.Equal("Error: image with reference multi:1 was found but does not provide the specified platform (linux/s390x)\n", missing.StandardError);
        missing = await sbuild.RunAsync(["image", "inspect", "--platform", $"linux/{OtherArch}", "busybox"], storeRoot: store, allowFailure: true);
        Assert.Equal($"Error: image with reference busybox:latest was found but does not provide the specified platform (linux/{OtherArch})\n", missing.StandardError);
        var bad = await sbuild.RunAsync(["image", "inspect", "--platform", "linux", "multi:1"], storeRoot: store, allowFailure: true);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("--platform \"linux\"", bad.StandardError);

        // images lists the host's image under the name; a build FROM it builds on the host's image.
        var list = await sbuild.RunAsync(["images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}", "multi"], storeRoot: store);
        Assert.Equal($"multi:1 {hostId}\n", list.StandardOutput);
        File.WriteAllText(work.Combine("Dockerfile"), "FROM multi:1\nLABEL from=multi\n");
        var built = (await sbuild.RunAsync(["build", "-q", "-t", "derived:1", work.Path], storeRoot: store)).StandardOutput.Trim();
        inspect = await sbuild.RunAsync(["image", "inspect", "--format", "{{.Architecture}} {{len .RootFS.Layers}} {{.Config.Labels}}", built], storeRoot: store);
        Assert.Equal($"{HostArch} 2 map[from:multi]\n", inspect.StandardOutput); // the host image's two layers

        // rmi removes both platforms' own blobs; busybox's layer stays with busybox:latest.
        await sbuild.RunAsync(["rmi", "multi:1", "derived:1"], storeRoot: store);
        var left = ImageGraph.Reachable(images.Content, images.Entries().Single().Manifest).Select(d => d.Digest).ToHashSet();
        foreach (var blob in Directory.EnumerateFiles(Path.Combine(store, "blobs", "sha256")).Select(f => Digest.Parse("sha256:" + Path.GetFileName(f))))
            Assert.True(left.Contains(blob) || !layout.Blobs.Contains(blob), $"{blob} of the removed index is still there");
    }
}
