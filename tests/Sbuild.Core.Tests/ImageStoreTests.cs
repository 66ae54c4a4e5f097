using System.Text.Json;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Core.Tests;

public sealed class ImageStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ImageStore _store;

    public ImageStoreTests() => _store = new ImageStore(_dir.Combine("store"));

    public void Dispose() => _dir.Dispose();

    private Descriptor FakeManifest(string seed) =>
        _store.Content.WriteBytes(System.Text.Encoding.UTF8.GetBytes($"{{\"seed\":\"{seed}\"}}"), MediaTypes.OciManifest);

    [Fact]
    public void New_store_is_an_empty_oci_layout()
    {
        using var layout = JsonDocument.Parse(File.ReadAllText(Path.Combine(_store.Root, "oci-layout")));
        Assert.Equal("1.0.0", layout.RootElement.GetProperty("imageLayoutVersion").GetString());
        Assert.Empty(_store.List());
        Assert.Null(_store.Find(ImageReference.Parse("app")));
    }

    [Fact]
    public void Writing_the_same_image_again_rewrites_neither_its_blobs_nor_the_index()
    {
        var m = FakeManifest("same");
        _store.Tag(ImageReference.Parse("app:1"), m);
        Posix.TryLStat(_store.Content.PathOf(m.Digest), out var blobBefore);
        Posix.TryLStat(Path.Combine(_store.Root, "index.json"), out var indexBefore);

        Assert.Equal(m, FakeManifest("same"));
        _store.Tag(ImageReference.Parse("app:1"), m);

        // Each write publishes a new file by rename: an unchanged inode means nothing was written (or fsynced).
        Posix.TryLStat(_store.Content.PathOf(m.Digest), out var blobAfter);
        Posix.TryLStat(Path.Combine(_store.Root, "index.json"), out var indexAfter);
        Assert.Equal(blobBefore.Inode, blobAfter.Inode);
        Assert.Equal(indexBefore.Inode, indexAfter.Inode);

        _store.Tag(ImageReference.Parse("app:1"), FakeManifest("other"));
        Posix.TryLStat(Path.Combine(_store.Root, "index.json"), out var retagged);
        Assert.NotEqual(indexBefore.Inode, retagged.Inode);
    }

    [Fact]
    public void Tag_then_find_by_any_spelling_of_the_name()
    {
        var m = FakeManifest("1");
        _store.Tag(ImageReference.Parse("docker.io/library/app:1"), m);

        var found = _store.Find(ImageReference.Parse("app:1"));
        Assert.NotNull(found);
        Assert.Equal("app:1", found.Name);
        Assert.Equal(m.Digest, found.Manifest.Digest);
        Assert.Equal(m.Size, found.Manifest.Size);
        Assert.Null(_store.Find(ImageReference.Parse("app:2")));
        Assert.Null(_store.Find(ImageReference.Parse("app"))); // app:latest is another name
    }

    [Fact]
    public void Tagging_an_existing_name_replaces_it_and_keeps_other_names()
    {
        var old = FakeManifest("old");
        var @new = FakeManifest("new");
        var other = FakeManifest("other");
        _store.Tag(ImageReference.Parse("app:1"), old);
        _store.Tag(ImageReference.Parse("zeta:1"), other);
        _store.Tag(ImageReference.Parse("app:1"), @new);

        var images = _store.List();
        Assert.Equal(["app:1", "zeta:1"], images.Select(i => i.Name));
        Assert.Equal(@new.Digest, images[0].Manifest.Digest);
        Assert.Equal(other.Digest, images[1].Manifest.Digest);
    }

    [Fact]
    public void Dangling_images_are_kept_once_and_named_again_when_tagged()
    {
        var built = FakeManifest("built");
        var named = FakeManifest("named");
        _store.Tag(ImageReference.Parse("app:1"), named);
        _store.KeepUnnamed(built);
        _store.KeepUnnamed(built);
        _store.KeepUnnamed(named); // already held by a name: not dangling
        Assert.Equal([("app:1", named.Digest), (null, built.Digest)], _store.Entries().Select(e => (e.Name, e.Manifest.Digest)));
        Assert.Equal(["app:1"], _store.List().Select(i => i.Name));

        _store.Tag(ImageReference.Parse("app:2"), built);
        Assert.Equal([("app:1", named.Digest), ("app:2", built.Digest)], _store.Entries().Select(e => (e.Name, e.Manifest.Digest)));
        // A moved name leaves its image dangling only when no other name holds it.
        _store.Tag(ImageReference.Parse("app:1"), built);
        Assert.Equal([("app:1", built.Digest), ("app:2", built.Digest), (null, named.Digest)], _store.Entries().Select(e => (e.Name, e.Manifest.Digest)));

        var removed = _store.RemoveEntries(e => e.Manifest.Digest == built.Digest);
        Assert.Equal(["app:1", "app:2"], removed.Select(e => e.Name));
        Assert.Equal([(null, named.Digest)], _store.Entries().Select(e => (e.Name, e.Manifest.Digest)));
        Assert.True(_store.Content.Exists(built.Digest)); // blobs are the caller's to collect
    }

    [Fact]
    public void List_is_sorted_by_name()
    {
        foreach (var name in new[] { "b:1", "a:2", "c", "a:1" })
            _store.Tag(ImageReference.Parse(name), FakeManifest(name));
        Assert.Equal(["a:1", "a:2", "b:1", "c:latest"], _store.List().Select(i => i.Name));
    }

    [Fact]
    public void Index_json_stays_a_valid_oci_index()
    {
        var m1 = FakeManifest("1");
        var m2 = FakeManifest("2");
        _store.Tag(ImageReference.Parse("app:1"), m1);
        _store.Tag(ImageReference.Parse("host:5000/team/app:2"), m2);
        _store.Tag(ImageReference.Parse("app:1"), m2);

        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(_store.Root, "index.json")));
        var root = index.RootElement;
        Assert.Equal(2, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(MediaTypes.OciIndex, root.GetProperty("mediaType").GetString());
        var manifests = root.GetProperty("manifests").EnumerateArray().ToList();
        // app:1 moved from m1 to m2: m1 stays as a dangling image, an entry without a ref name, after the named ones.
        Assert.Equal(3, manifests.Count);
        foreach (var entry in manifests)
        {
            Assert.Equal(MediaTypes.OciManifest, entry.GetProperty("mediaType").GetString());
            Assert.True(Digest.TryParse(entry.GetProperty("digest").GetString(), out var d));
            Assert.True(_store.Content.Exists(d));
            Assert.Equal(_store.Content.SizeOf(d), entry.GetProperty("size").GetInt64());
        }
        Assert.Equal(["app:1", "host:5000/team/app:2", null],
            manifests.Select(m => m.TryGetProperty("annotations", out var a) ? a.GetProperty(ImageStore.RefNameAnnotation).GetString() : null));
        Assert.Equal(m1.Digest.ToString(), manifests[2].GetProperty("digest").GetString());
        Assert.Empty(Directory.EnumerateFiles(_store.Root, "*.tmp")); // atomic writes leave no temp files
    }

    [Fact]
    public void Corrupt_index_json_is_reported_as_StoreCorrupt()
    {
        File.WriteAllText(Path.Combine(_store.Root, "index.json"), "{ not json");
        var e = Assert.Throws<SbuildException>(() => _store.List());
        Assert.Equal(ErrorCode.StoreCorrupt, e.Code);
        Assert.Contains("index.json", e.Message);
    }

    [Fact]
    public async Task Concurrent_tags_are_all_kept()
    {
        var manifests = Enumerable.Range(0, 16).Select(i => FakeManifest(i.ToString())).ToList();
        await Task.WhenAll(manifests.Select((m, i) => Task.Run(() => _store.Tag(ImageReference.Parse($"app:{i}"), m))));
        Assert.Equal(16, _store.List().Count);
        for (var i = 0; i < 16; i++)
            Assert.Equal(manifests[i].Digest, _store.Find(ImageReference.Parse($"app:{i}"))!.Manifest.Digest);
    }

    /// <summary>A real one-layer image in the store must be readable by skopeo and pass oci-image-tool validation.</summary>
    [Fact]
    public async Task External_oci_tools_read_a_stored_image()
    {
        var skopeo = Tools.Skopeo;
        var validator = Tools.OciImageTool;

        var layerDir = _dir.Combine("layer");
        Directory.CreateDirectory(Path.Combine(layerDir, "etc"));
        File.WriteAllText(Path.Combine(layerDir, "etc", "greeting"), "hello\n");
        var layerTar = _dir.Combine("layer.tar");
        await ProcessRunner.RunAsync(Tools.Tar, ["--numeric-owner", "-C", layerDir, "-cf", layerTar, "etc"], CancellationToken.None);

        Descriptor layer;
        using (var writer = _store.Content.OpenWriter())
        {
            using (var file = File.OpenRead(layerTar)) file.CopyTo(writer.Stream);
            layer = writer.Commit(MediaTypes.OciLayer);
        }
        var config = _store.Content.WriteJson(new ImageConfig
        {
            Architecture = Platform.Host.Architecture,
            Os = Platform.Host.Os,
            RootFs = new RootFs { DiffIds = [layer.Digest] }, // uncompressed layer: diff_id == blob digest
            Config = new ContainerConfig { Cmd = ["/bin/sh"] },
        }, OciJsonContext.Canonical.ImageConfig, MediaTypes.OciConfig);
        var manifest = _store.Content.WriteJson(new ImageManifest { Config = config, Layers = [layer] },
            OciJsonContext.Canonical.ImageManifest, MediaTypes.OciManifest);
        _store.Tag(ImageReference.Parse("app:1"), manifest);

        var inspect = await ProcessRunner.RunAsync(skopeo, ["inspect", $"oci:{_store.Root}:app:1"], CancellationToken.None);
        using var doc = JsonDocument.Parse(inspect.StandardOutput);
        Assert.Equal(manifest.Digest.ToString(), doc.RootElement.GetProperty("Digest").GetString());
        Assert.Equal([layer.Digest.ToString()], doc.RootElement.GetProperty("Layers").EnumerateArray().Select(l => l.GetString()));

        await ProcessRunner.RunAsync(validator, ["validate", "--type", "image", "--ref", "name=app:1", _store.Root], CancellationToken.None);
    }
}
