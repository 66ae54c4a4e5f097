using System.Text.Json;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// tag, rmi and image prune on stores of their own, checked by reading the store's files: index.json's entries and
/// which blobs are left in blobs/sha256.
/// </summary>
public sealed class ImageRemovalTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    private sealed record Built(string Id, Digest Manifest, Digest Config, IReadOnlyList<Digest> Layers);

    private async Task<TempDirectory> FreshStore()
    {
        var store = new TempDirectory("sbuild-rmi-store-");
        await sbuild.RunAsync(["image", "import", sbuild.BusyboxTar, "busybox:latest"], storeRoot: store.Path, epoch: 0);
        return store;
    }

    private async Task<Built> Build(TempDirectory store, string dockerfile, long epoch, params string[] tags)
    {
        using var context = new TempDirectory("sbuild-rmi-ctx-");
        File.WriteAllText(context.Combine("Dockerfile"), dockerfile);
        var id = (await sbuild.RunAsync(["build", "-q", .. tags.SelectMany(t => new[] { "-t", t }), context.Path], epoch: epoch, storeRoot: store.Path)).StandardOutput.Trim();
        var images = new ImageStore(store.Path);
        var entry = images.Entries().First(e => images.ReadManifest(e.Manifest.Digest).Config.Digest.ToString() == id);
        var manifest = images.ReadManifest(entry.Manifest.Digest);
        return new Built(id, entry.Manifest.Digest, manifest.Config.Digest, manifest.Layers.Select(l => l.Digest).ToList());
    }

    private static bool HasBlob(TempDirectory store, Digest digest) => File.Exists(Path.Combine(store.Path, "blobs", "sha256", digest.Encoded));

    /// <summary>index.json read as a file: each entry's ref name (null for a dangling one) and manifest digest.</summary>
    private static List<(string? Name, string Digest)> Index(TempDirectory store)
    {
        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(store.Path, "index.json")));
        return index.RootElement.GetProperty("manifests").EnumerateArray()
            .Select(m => (m.TryGetProperty("annotations", out var a) && a.TryGetProperty("org.opencontainers.image.ref.name", out var n) ? n.GetString() : null,
                          m.GetProperty("digest").GetString()!)).ToList();
    }

    [Fact]
    public async Task Rmi_of_an_image_sharing_layers_keeps_the_shared_blobs_and_removes_its_own()
    {
        using var store = await FreshStore();
        var a = await Build(store, "FROM busybox\nRUN echo a > /a\n", 1700000000, "a:1");
        var b = await Build(store, "FROM busybox\nRUN echo a > /a\nRUN echo b > /b\n", 1700000001, "b:1");
        Assert.Equal(a.Layers, b.Layers.Take(2));
        // The build cache references every layer it made: without its records the layers belong to the images alone.
        await sbuild.RunAsync(["prune", "-f"], storeRoot: store.Path);

        // docker system df's table; a layer a and b share counts once: busybox's and the RUN layer of a, b's own one.
        var df = await sbuild.RunAsync(["system", "df"], storeRoot: store.Path);
        var sizes = new Sbuild.Cli.Images.LayerSizes(new ImageStore(store.Path));
        var unique = Sbuild.Cli.Templates.DockerUnits.HumanSize(b.Layers.Sum(sizes.Of));
        Assert.Equal(
            "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\n" +
            $"Images          3         0         {unique,-10}{unique} (100%)\n" +
            "Containers      0         0         0B        0B\n" +
            "Local Volumes   0         0         0B        0B\n" +
            "Build Cache     0         0         0B        0B\n", df.StandardOutput);

        var rmi = await sbuild.RunAsync(["rmi", "b:1"], storeRoot: store.Path);
        Assert.StartsWith($"Untagged: b:1\nUntagged: b@{b.Manifest}\nDeleted: {b.Id}\nDeleted: sha256:", rmi.StandardOutput);
        Assert.Equal(4, rmi.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // one own layer
        Assert.False(HasBlob(store, b.Manifest));
        Assert.False(HasBlob(store, b.Config));
        Assert.False(HasBlob(store, b.Layers[2]));
        Assert.False(File.Exists(Path.Combine(store.Path, "cache", "layer-sizes", b.Layers[2].Encoded))); // its kept size goes too
        Assert.True(File.Exists(Path.Combine(store.Path, "cache", "layer-sizes", b.Layers[1].Encoded)));
        Assert.All(a.Layers.Append(a.Manifest).Append(a.Config), d => Assert.True(HasBlob(store, d)));
        Assert.DoesNotContain(Index(store), e => e.Name == "b:1" || e.Digest == b.Manifest.ToString());

        await sbuild.RunAsync(["rmi", "a:1"], storeRoot: store.Path);
        Assert.False(HasBlob(store, a.Layers[1]));
        Assert.True(HasBlob(store, a.Layers[0])); // busybox:latest's layer
        Assert.Equal(["busybox:latest"], Index(store).Select(e => e.Name));
    }

    [Fact]
    public async Task Rmi_keeps_blobs_a_build_cache_record_uses()
    {
        using var store = await FreshStore();
        var c = await Build(store, "FROM busybox\nRUN echo c > /c\n", 1700000000, "c:1");
        await sbuild.RunAsync(["rmi", "c:1"], storeRoot: store.Path);
        Assert.False(HasBlob(store, c.Manifest));
        Assert.False(HasBlob(store, c.Config));
        Assert.True(HasBlob(store, c.Layers[1])); // the RUN step's record still holds its layer
        var rebuilt = await Build(store, "FROM busybox\nRUN echo c > /c\n", 1700000000, "c:1");
        Assert.Equal(c.Id, rebuilt.Id);
    }

    [Fact]
    public async Task Tag_moves_a_name_and_the_image_it_leaves_is_dangling_until_pruned()
    {
        using var store = await FreshStore();
        var first = await Build(store, "FROM busybox\nRUN echo 1 > /v\n", 1700000000, "app:1");
        var second = await Build(store, "FROM busybox\nRUN echo 2 > /v\n", 1700000001, "app:2");
        await sbuild.RunAsync(["tag", "app:1", "also:first"], storeRoot: store.Path);
        await sbuild.RunAsync(["tag", second.Id[7..19], "app:1"], storeRoot: store.Path);
        // The first image keeps a name, so it is not dangling; once that goes too, it is.
        Assert.Contains(Index(store), e => e.Name == "also:first" && e.Digest == first.Manifest.ToString());
        Assert.Contains(Index(store), e => e.Name == "app:1" && e.Digest == second.Manifest.ToString());
        await sbuild.RunAsync(["image", "tag", "app:2", "also:first"], storeRoot: store.Path);
        Assert.Contains(Index(store), e => e.Name is null && e.Digest == first.Manifest.ToString());
        var dangling = await sbuild.RunAsync(["images", "--filter", "dangling=true", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"], storeRoot: store.Path);
        Assert.Equal($"<none>:<none> {first.Id[7..19]}\n", dangling.StandardOutput);

        // A build without a name is kept dangling too, as docker build keeps its result.
        var unnamed = await Build(store, "FROM busybox\nRUN echo 3 > /v\n", 1700000002);
        Assert.Contains(Index(store), e => e.Name is null && e.Digest == unnamed.Manifest.ToString());

        await sbuild.RunAsync(["prune", "-f"], storeRoot: store.Path);
        var prune = await sbuild.RunAsync(["image", "prune", "-f"], storeRoot: store.Path);
        Assert.StartsWith($"Deleted Images:\ndeleted: {unnamed.Id}\ndeleted: sha256:", prune.StandardOutput);
        Assert.Contains($"deleted: {first.Id}\n", prune.StandardOutput);
        Assert.Matches(@"\n\nTotal reclaimed space: 4B\n$", prune.StandardOutput); // each image's own layer: /v, 2 bytes
        Assert.False(HasBlob(store, first.Config));
        Assert.False(HasBlob(store, unnamed.Layers[1]));
        Assert.True(HasBlob(store, second.Layers[1]));
        Assert.DoesNotContain(Index(store), e => e.Name is null);

        var none = await sbuild.RunAsync(["image", "prune", "-f"], storeRoot: store.Path);
        Assert.Equal("Total reclaimed space: 0B\n", none.StandardOutput);
        var all = await sbuild.RunAsync(["image", "prune", "-a", "-f", "--filter", "until=24h"], storeRoot: store.Path);
        Assert.Contains("untagged: busybox:latest\n", all.StandardOutput);
        Assert.Empty(Index(store));
    }

    [Fact]
    public async Task Rmi_by_id_of_an_image_with_several_names_needs_force()
    {
        using var store = await FreshStore();
        var image = await Build(store, "FROM busybox\nRUN echo x > /x\n", 1700000000, "x:1", "y:1");
        var refused = await sbuild.RunAsync(["rmi", image.Id[7..19]], allowFailure: true, storeRoot: store.Path);
        Assert.Equal(1, refused.ExitCode);
        Assert.Equal($"Error: conflict: unable to delete {image.Id[7..19]} (must be forced) - image is referenced in multiple repositories\n", refused.StandardError);
        Assert.Equal(3, Index(store).Count);
        var forced = await sbuild.RunAsync(["rmi", "-f", image.Id[7..19]], storeRoot: store.Path);
        Assert.Contains($"Untagged: x:1\n", forced.StandardOutput);
        Assert.Contains($"Untagged: y:1\n", forced.StandardOutput);
        Assert.Contains($"Deleted: {image.Id}\n", forced.StandardOutput);
        Assert.Equal(["busybox:latest"], Index(store).Select(e => e.Name));
    }

    [Fact]
    public async Task Rmi_waits_for_a_running_build_to_release_the_store()
    {
        using var store = await FreshStore();
        await Build(store, "FROM busybox\nRUN echo w > /w\n", 1700000000, "w:1");
        Task<ProcessResult> rmi;
        // A build holds the store shared for its whole run: rmi must not delete blobs under it.
        using (StoreLock.Shared(store.Path, TimeSpan.FromSeconds(5)))
        {
            rmi = sbuild.RunAsync(["rmi", "w:1"], storeRoot: store.Path);
            await Task.WhenAny(rmi, Task.Delay(TimeSpan.FromSeconds(3)));
            Assert.False(rmi.IsCompleted, "rmi ran while the store was held shared by another command");
            Assert.Contains(Index(store), e => e.Name == "w:1");
        }
        var result = await rmi;
        Assert.StartsWith("Untagged: w:1\n", result.StandardOutput);
        Assert.DoesNotContain(Index(store), e => e.Name == "w:1");
    }
}
