using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Exporter.Tests;

public sealed class ImageWriterTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Writes_config_and_manifest_whose_digests_are_of_the_stored_bytes()
    {
        var image = TestImage.Build(_dir.Combine("store"));
        var store = image.Store;

        var manifestBytes = File.ReadAllBytes(store.PathOf(image.Image.Manifest.Digest));
        Assert.Equal(Digest.Of(manifestBytes), image.Image.Manifest.Digest);
        Assert.Equal(manifestBytes.Length, image.Image.Manifest.Size);
        Assert.Equal(MediaTypes.OciManifest, image.Image.Manifest.MediaType);

        var manifest = store.ReadJson(image.Image.Manifest.Digest, OciJsonContext.Canonical.ImageManifest);
        Assert.Equal(2, manifest.SchemaVersion);
        Assert.Equal(MediaTypes.OciManifest, manifest.MediaType);
        Assert.Equal(image.Image.Config, manifest.Config);
        Assert.Equal(MediaTypes.OciConfig, manifest.Config.MediaType);
        Assert.Equal(image.Layers.Select(l => l.Blob), manifest.Layers);

        var configBytes = File.ReadAllBytes(store.PathOf(image.Image.ImageId));
        Assert.Equal(Digest.Of(configBytes), image.Image.ImageId);
        var config = store.ReadJson(image.Image.ImageId, OciJsonContext.Canonical.ImageConfig);
        Assert.Equal(image.Layers.Select(l => l.DiffId), config.RootFs.DiffIds);
        Assert.Equal(["PATH=/bin", "GREETING=hi"], config.Config.Env!);
        Assert.Equal(3, config.History.Count);
    }

    [Fact]
    public void Same_config_and_layers_give_the_same_image_id_and_manifest()
    {
        var first = TestImage.Build(_dir.Combine("a"));
        var second = TestImage.Build(_dir.Combine("b"));

        Assert.Equal(first.Image, second.Image);
    }

    [Fact]
    public void Refuses_a_config_whose_diff_ids_do_not_match_the_layers()
    {
        var image = TestImage.Build(_dir.Combine("store"));

        var error = Assert.Throws<ArgumentException>(() =>
            new ImageWriter(image.Store).Write(image.Config, [image.Layers[0].Blob]));
        Assert.Contains("2 diff_ids but 1 layers", error.Message);
    }

    [Fact]
    public void Refuses_a_layer_that_is_not_in_the_store()
    {
        var image = TestImage.Build(_dir.Combine("store"));
        var elsewhere = new FileContentStore(_dir.Combine("empty"));

        var error = Assert.Throws<SbuildException>(() =>
            new ImageWriter(elsewhere).Write(image.Config, image.Layers.Select(l => l.Blob).ToList()));
        Assert.Equal(ErrorCode.BlobNotFound, error.Code);
        Assert.Contains(image.Layers[0].Blob.Digest.ToString(), error.Message);
    }
}
