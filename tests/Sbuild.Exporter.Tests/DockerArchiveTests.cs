using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Exporter.Tests;

[Collection(DockerCollection.Name)]
public sealed class DockerArchiveTests(SharedTestImage shared, DockerDaemon daemon)
    : IClassFixture<SharedTestImage>, IClassFixture<DockerDaemon>, IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestImage _image = shared.Image;
    // Unique per test: the engine is shared with other test runs.
    private readonly string _repository = "sbuild-exporter-test-" + Guid.NewGuid().ToString("N")[..10];

    public void Dispose() => _dir.Dispose();

    private async Task<string> ExportAsync(params string[] names)
    {
        var path = _dir.Combine("image.tar");
        await new DockerArchiveWriter().WriteToFileAsync(_image.ToExport(names), path, CancellationToken.None);
        return path;
    }

    private Task<ProcessResult> DockerAsync(params string[] args) => daemon.Client.RunAsync(args, CancellationToken.None);

    [Fact]
    public async Task Docker_loads_the_archive_with_its_tags_and_runs_it()
    {
        var archive = await ExportAsync($"{_repository}:1", $"{_repository}:latest");
        try
        {
            var load = await DockerAsync("load", "-i", archive);
            Assert.Contains($"Loaded image: {_repository}:1", load.StandardOutput);
            Assert.Contains($"Loaded image: {_repository}:latest", load.StandardOutput);

            var inspect = ArchiveInspection.ParseJson((await DockerAsync("image", "inspect", $"{_repository}:1")).StandardOutput)[0];
            Assert.Equal(_image.Image.ImageId.ToString(), inspect.GetProperty("Id").GetString());
            Assert.Equal(_image.Layers.Select(l => l.DiffId.ToString()), inspect.GetProperty("RootFS").GetProperty("Layers").EnumerateArray().Select(e => e.GetString()));
            var config = inspect.GetProperty("Config");
            Assert.Equal(["PATH=/bin", "GREETING=hi"], config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()!));
            Assert.Equal("/app", config.GetProperty("WorkingDir").GetString());

            // The default Cmd reads a file from layer 1; an explicit command reads layer 2 relative to WorkingDir.
            Assert.Equal(TestImage.Hello, (await DockerAsync("run", "--rm", "--network", "none", $"{_repository}:1")).StandardOutput);
            Assert.Equal(TestImage.Message, (await DockerAsync("run", "--rm", "--network", "none", $"{_repository}:latest", "/bin/cat", "message.txt")).StandardOutput);
        }
        finally
        {
            await daemon.Client.RunAsync(["rmi", "-f", $"{_repository}:1", $"{_repository}:latest"],
                new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Skopeo_reads_the_docker_archive()
    {
        var archive = await ExportAsync("app:1");

        var inspect = await ArchiveInspection.SkopeoInspectAsync($"docker-archive:{archive}");
        // A docker-archive names layers by diff_id (the uncompressed tar), as `docker save` did before OCI layouts.
        Assert.Equal(_image.Layers.Select(l => l.DiffId.ToString()), inspect.GetProperty("Layers").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["PATH=/bin", "GREETING=hi"], inspect.GetProperty("Env").EnumerateArray().Select(e => e.GetString()!));
        await ArchiveInspection.SkopeoInspectAsync($"docker-archive:{archive}:app:1"); // by tag too
    }

    [Fact]
    public async Task Manifest_json_points_at_the_config_and_layer_blobs_beside_an_oci_layout()
    {
        var members = ArchiveInspection.Read(await ExportAsync("app:1"));

        var entry = Assert.Single(members.Single(m => m.Name == "manifest.json").Json().EnumerateArray());
        Assert.Equal($"blobs/sha256/{_image.Image.ImageId.Encoded}", entry.GetProperty("Config").GetString());
        Assert.Equal(["app:1"], entry.GetProperty("RepoTags").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(_image.Layers.Select(l => $"blobs/sha256/{l.Blob.Digest.Encoded}"), entry.GetProperty("Layers").EnumerateArray().Select(e => e.GetString()));
        foreach (var path in entry.GetProperty("Layers").EnumerateArray().Select(e => e.GetString()).Append(entry.GetProperty("Config").GetString()))
            Assert.Contains(members, m => m.Name == path);
        Assert.Contains(members, m => m.Name == "oci-layout");
        Assert.Contains(members, m => m.Name == "index.json");
        Assert.Contains(members, m => m.Name == $"blobs/sha256/{_image.Image.Manifest.Digest.Encoded}");
    }

    [Fact]
    public async Task An_untagged_image_has_no_RepoTags()
    {
        var members = ArchiveInspection.Read(await ExportAsync());

        var entry = Assert.Single(members.Single(m => m.Name == "manifest.json").Json().EnumerateArray());
        Assert.False(entry.TryGetProperty("RepoTags", out _));
    }

    [Fact]
    public async Task Exporting_twice_gives_byte_identical_archives()
    {
        var first = await File.ReadAllBytesAsync(await ExportAsync("app:1"));
        var second = await File.ReadAllBytesAsync(await ExportAsync("app:1"));

        Assert.Equal(first, second);
    }
}
