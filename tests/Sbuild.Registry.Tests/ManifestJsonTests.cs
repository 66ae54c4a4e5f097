using System.Text;
using Sbuild.Core;

namespace Sbuild.Registry.Tests;

/// <summary>
/// Telling manifests apart by their content. The OCI image spec makes <c>mediaType</c> optional in both manifests and
/// indexes (image-spec manifest.md / image-index.md: "This property SHOULD be used"), so an index is recognised by its
/// <c>manifests</c> array and a manifest by its <c>config</c> and <c>layers</c>.
/// </summary>
public sealed class ManifestJsonTests
{
    private static readonly string ConfigDigest = "sha256:" + new string('c', 64);
    private static readonly string LayerDigest = "sha256:" + new string('1', 64);
    private static readonly string AmdDigest = "sha256:" + new string('a', 64);
    private static readonly string ArmDigest = "sha256:" + new string('b', 64);

    private static byte[] Bytes(string json) => Encoding.UTF8.GetBytes(json);

    private static string OciIndexJson(bool withMediaType) => $$"""
        {
          "schemaVersion": 2,
          {{(withMediaType ? "\"mediaType\": \"application/vnd.oci.image.index.v1+json\"," : "")}}
          "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "{{AmdDigest}}", "size": 500,
             "platform": {"architecture": "amd64", "os": "linux"} },
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "{{ArmDigest}}", "size": 501,
             "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"} }
          ]
        }
        """;

    private static string OciManifestJson(bool withMediaType) => $$"""
        {
          "schemaVersion": 2,
          {{(withMediaType ? "\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\"," : "")}}
          "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "{{ConfigDigest}}", "size": 1470},
          "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "{{LayerDigest}}", "size": 2107098}
          ]
        }
        """;

    [Fact]
    public void An_oci_index_without_a_media_type_is_recognised_by_its_manifests()
    {
        var type = ManifestJson.MediaTypeOf(Bytes(OciIndexJson(withMediaType: false)));

        Assert.Equal(MediaTypes.OciIndex, type);
        Assert.True(MediaTypes.IsIndex(type));
    }

    [Fact]
    public void An_oci_index_with_its_media_type_is_an_index()
    {
        Assert.Equal(MediaTypes.OciIndex, ManifestJson.MediaTypeOf(Bytes(OciIndexJson(withMediaType: true))));
    }

    [Fact]
    public void An_empty_index_is_still_an_index()
    {
        Assert.Equal(MediaTypes.OciIndex, ManifestJson.MediaTypeOf(Bytes("""{"schemaVersion": 2, "manifests": []}""")));
    }

    [Fact]
    public void A_docker_manifest_list_keeps_its_own_media_type()
    {
        // Docker's Image Manifest V2 Schema 2: a manifest list names its mediaType.
        var json = $$"""
            {
              "schemaVersion": 2,
              "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
              "manifests": [
                {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": "{{AmdDigest}}", "size": 7143,
                 "platform": {"architecture": "ppc64le", "os": "linux"} }
              ]
            }
            """;

        var type = ManifestJson.MediaTypeOf(Bytes(json));

        Assert.Equal(MediaTypes.DockerManifestList, type);
        Assert.True(MediaTypes.IsIndex(type));
        var entry = Assert.Single(ManifestJson.Manifests(Bytes(json)));
        Assert.Equal("ppc64le", entry.Platform!.Architecture);
    }

    [Fact]
    public void A_docker_manifest_keeps_its_own_media_type()
    {
        var json = $$"""
            {
              "schemaVersion": 2,
              "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
              "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": "{{ConfigDigest}}", "size": 7023},
              "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": "{{LayerDigest}}", "size": 32654}]
            }
            """;

        var type = ManifestJson.MediaTypeOf(Bytes(json));

        Assert.Equal(MediaTypes.DockerManifest, type);
        Assert.False(MediaTypes.IsIndex(type));
    }

    [Fact]
    public void An_oci_manifest_without_a_media_type_is_an_oci_manifest()
    {
        var type = ManifestJson.MediaTypeOf(Bytes(OciManifestJson(withMediaType: false)));

        Assert.Equal(MediaTypes.OciManifest, type);
        Assert.False(MediaTypes.IsIndex(type));
    }

    [Fact]
    public void Manifests_lists_the_entries_of_an_index_with_their_platforms()
    {
        var entries = ManifestJson.Manifests(Bytes(OciIndexJson(withMediaType: false)));

        Assert.Equal([AmdDigest, ArmDigest], entries.Select(e => e.Digest.ToString()));
        Assert.Equal(["amd64", "arm64"], entries.Select(e => e.Platform!.Architecture));
        Assert.Equal("v8", entries[1].Platform!.Variant);
        Assert.Equal(501, entries[1].Size);
    }

    [Fact]
    public void Manifests_of_an_image_manifest_is_empty()
    {
        Assert.Empty(ManifestJson.Manifests(Bytes(OciManifestJson(withMediaType: true))));
    }

    [Fact]
    public void Contents_gives_the_config_and_layers()
    {
        var (config, layers) = ManifestJson.Contents(Bytes(OciManifestJson(withMediaType: false)), "pull app:1");

        Assert.Equal(ConfigDigest, config.Digest.ToString());
        Assert.Equal(MediaTypes.OciConfig, config.MediaType);
        Assert.Equal(1470, config.Size);
        var layer = Assert.Single(layers);
        Assert.Equal(LayerDigest, layer.Digest.ToString());
        Assert.Equal(MediaTypes.OciLayerGzip, layer.MediaType);
    }

    [Fact]
    public void A_schema1_manifest_is_refused()
    {
        // Docker's Image Manifest V2, Schema 1: fsLayers/history/signatures, no config.
        var json = $$"""
            {
              "schemaVersion": 1,
              "name": "hello-world",
              "tag": "latest",
              "architecture": "amd64",
              "fsLayers": [{"blobSum": "{{LayerDigest}}"}],
              "history": [{"v1Compatibility": "{}"}],
              "signatures": []
            }
            """;

        var error = Assert.Throws<SbuildException>(() => ManifestJson.Contents(Bytes(json), "pull hello-world"));

        Assert.Equal(ErrorCode.RegistryError, error.Code);
        Assert.Contains("pull hello-world", error.Message);
    }

    [Fact]
    public void An_index_has_no_contents()
    {
        var error = Assert.Throws<SbuildException>(() => ManifestJson.Contents(Bytes(OciIndexJson(withMediaType: true)), "pull app"));

        Assert.Equal(ErrorCode.RegistryError, error.Code);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("<html>502 Bad Gateway</html>")]
    [InlineData("""{"manifests": {"not": "an array"}}""")]
    [InlineData("[1, 2]")]
    public void Invalid_json_is_a_registry_error(string text)
    {
        var error = Assert.Throws<SbuildException>(() => ManifestJson.MediaTypeOf(Bytes(text)));
        Assert.Equal(ErrorCode.RegistryError, error.Code);

        error = Assert.Throws<SbuildException>(() => ManifestJson.Contents(Bytes(text), "pull app"));
        Assert.Equal(ErrorCode.RegistryError, error.Code);
    }

    [Theory]
    [InlineData(MediaTypes.OciIndex, true)]
    [InlineData(MediaTypes.DockerManifestList, true)]
    [InlineData(MediaTypes.OciManifest, false)]
    [InlineData(MediaTypes.DockerManifest, false)]
    public void IsIndex_knows_both_index_types(string mediaType, bool isIndex)
    {
        Assert.Equal(isIndex, MediaTypes.IsIndex(mediaType));
    }

    [Theory]
    [InlineData(MediaTypes.DockerLayerGzip, MediaTypes.OciLayerGzip)]
    [InlineData(MediaTypes.DockerLayer, MediaTypes.OciLayer)]
    [InlineData(MediaTypes.OciLayerGzip, MediaTypes.OciLayerGzip)]
    [InlineData(MediaTypes.OciLayerZstd, MediaTypes.OciLayerZstd)]
    public void LayerAsOci_renames_docker_layer_types(string mediaType, string oci)
    {
        // Docker's rootfs.diff.tar(.gzip) are the same bytes as OCI's layer.v1.tar(+gzip) (image-spec media-types.md, compatibility matrix).
        Assert.Equal(oci, MediaTypes.LayerAsOci(mediaType));
    }
}
