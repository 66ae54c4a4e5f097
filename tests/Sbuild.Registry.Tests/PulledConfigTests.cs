using System.Text;
using System.Text.Json;
using Sbuild.Core;

namespace Sbuild.Registry.Tests;

/// <summary>Configs and manifests as registries serve them (Docker Hub's are written by Go, with nanosecond times and
/// fields sbuild does not model) must read into sbuild's records, or FROM of a pulled image fails.</summary>
public class PulledConfigTests
{
    // Shape of a config pushed by docker build (classic builder): Go's RFC 3339 with nanoseconds, container_config, docker_version.
    private const string DockerConfig = """
        {"architecture":"amd64","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},
         "container":"9a1b","container_config":{"Hostname":"9a1b","Cmd":["/bin/sh","-c","#(nop) ","CMD [\"sh\"]"]},
         "created":"2024-09-26T21:31:42.123456789Z","docker_version":"23.0.11",
         "history":[{"created":"2024-09-26T21:31:41.972463312Z","created_by":"/bin/sh -c #(nop) ADD file:abc in / "},
                    {"created":"2024-09-26T21:31:42.123456789Z","created_by":"/bin/sh -c #(nop)  CMD [\"sh\"]","empty_layer":true}],
         "os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:e0f6b4e4f7b2b1d5d1c3c4a0f6e3f3b0b7d9a6c1e2f3a4b5c6d7e8f9a0b1c2d3"]}}
        """;

    [Fact]
    public void A_docker_config_with_nanosecond_times_and_unknown_fields_reads()
    {
        var config = JsonSerializer.Deserialize(Encoding.UTF8.GetBytes(DockerConfig), OciJsonContext.Canonical.ImageConfig)!;
        Assert.Equal(new DateTimeOffset(2024, 9, 26, 21, 31, 42, TimeSpan.Zero).AddTicks(1234567), config.Created);
        Assert.Equal(["sh"], config.Config.Cmd!);
        Assert.Equal(2, config.History.Count);
        Assert.True(config.History[1].EmptyLayer);
        Assert.Single(config.RootFs.DiffIds);
    }

    [Fact]
    public void A_docker_schema2_manifest_reads_as_an_image_manifest()
    {
        var json = $$"""
            {"schemaVersion":2,"mediaType":"{{MediaTypes.DockerManifest}}",
             "config":{"mediaType":"{{MediaTypes.DockerConfig}}","size":1457,"digest":"sha256:{{new string('a', 64)}}"},
             "layers":[{"mediaType":"{{MediaTypes.DockerLayerGzip}}","size":2152262,"digest":"sha256:{{new string('b', 64)}}"}]}
            """;
        var manifest = JsonSerializer.Deserialize(Encoding.UTF8.GetBytes(json), OciJsonContext.Canonical.ImageManifest)!;
        Assert.Equal(MediaTypes.DockerManifest, manifest.MediaType);
        Assert.Equal(MediaTypes.DockerLayerGzip, manifest.Layers[0].MediaType);
        Assert.Equal(MediaTypes.DockerManifest, ManifestJson.MediaTypeOf(Encoding.UTF8.GetBytes(json)));
    }
}
