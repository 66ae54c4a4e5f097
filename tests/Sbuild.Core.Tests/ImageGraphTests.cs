using System.Text;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Core.Tests;

public sealed class ImageGraphTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FileContentStore _content;

    public ImageGraphTests() => _content = new ImageStore(_dir.Combine("store")).Content;

    public void Dispose() => _dir.Dispose();

    private Descriptor Blob(string text, string mediaType) => _content.WriteBytes(Encoding.UTF8.GetBytes(text), mediaType);

    private Descriptor Manifest(Descriptor config, params Descriptor[] layers) =>
        _content.WriteJson(new ImageManifest { Config = config, Layers = layers }, OciJsonContext.Canonical.ImageManifest, MediaTypes.OciManifest);

    [Fact]
    public void Reachable_lists_an_index_its_manifests_then_each_config_and_layers_once_in_order()
    {
        var shared = Blob("shared layer", MediaTypes.OciLayerGzip);
        var amd64 = Manifest(Blob("{\"a\":1}", MediaTypes.OciConfig), shared, Blob("amd64 layer", MediaTypes.OciLayerGzip));
        var arm64 = Manifest(Blob("{\"a\":2}", MediaTypes.OciConfig), shared);
        var index = _content.WriteJson(new ImageIndex { Manifests = [amd64, arm64] }, OciJsonContext.Canonical.ImageIndex, MediaTypes.OciIndex);

        var reached = ImageGraph.Reachable(_content, index);

        var amd64Manifest = _content.ReadJson(amd64.Digest, OciJsonContext.Canonical.ImageManifest);
        var arm64Manifest = _content.ReadJson(arm64.Digest, OciJsonContext.Canonical.ImageManifest);
        Assert.Equal(
            [index.Digest, amd64.Digest, amd64Manifest.Config.Digest, shared.Digest, amd64Manifest.Layers[1].Digest, arm64.Digest, arm64Manifest.Config.Digest],
            reached.Select(d => d.Digest));
        Assert.Empty(ImageGraph.Children(_content, shared));
    }

    [Fact]
    public void A_missing_blob_is_listed_but_not_descended_into_when_skipped_and_fails_the_walk_otherwise()
    {
        var layer = Blob("layer", MediaTypes.OciLayerGzip);
        var manifest = Manifest(Blob("{}", MediaTypes.OciConfig), layer);
        var index = _content.WriteJson(new ImageIndex { Manifests = [manifest] }, OciJsonContext.Canonical.ImageIndex, MediaTypes.OciIndex);
        _content.Delete(manifest.Digest);

        Assert.Equal([index.Digest, manifest.Digest], ImageGraph.Reachable(_content, index, skipMissing: true).Select(d => d.Digest));
        var error = Assert.Throws<SbuildException>(() => ImageGraph.Reachable(_content, index));
        Assert.Equal(ErrorCode.BlobNotFound, error.Code);
    }
}
