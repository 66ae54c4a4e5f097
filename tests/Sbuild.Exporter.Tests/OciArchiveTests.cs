using System.Formats.Tar;
using System.IO.Compression;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Exporter.Tests;

public sealed class OciArchiveTests(SharedTestImage shared) : IClassFixture<SharedTestImage>, IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestImage _image = shared.Image;

    public void Dispose() => _dir.Dispose();

    private async Task<string> ExportAsync(string name = "app:1", DateTimeOffset? timestamp = null, string file = "image.tar")
    {
        var path = _dir.Combine(file);
        await new OciArchiveWriter(timestamp).WriteToFileAsync(_image.ToExport(name), path, CancellationToken.None);
        return path;
    }

    [Fact]
    public async Task Skopeo_reads_the_layers_and_config()
    {
        var archive = await ExportAsync();

        var inspect = await ArchiveInspection.SkopeoInspectAsync($"oci-archive:{archive}");
        Assert.Equal(_image.Image.Manifest.Digest.ToString(), inspect.GetProperty("Digest").GetString());
        Assert.Equal(_image.Layers.Select(l => l.Blob.Digest.ToString()), inspect.GetProperty("Layers").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["PATH=/bin", "GREETING=hi"], inspect.GetProperty("Env").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal("exporter", inspect.GetProperty("Labels").GetProperty("org.example.test").GetString());
        Assert.Equal(Platform.Host.Architecture, inspect.GetProperty("Architecture").GetString());

        // By its tag too, and the config as skopeo sees it.
        var config = await ArchiveInspection.SkopeoInspectAsync("--config", $"oci-archive:{archive}:1");
        Assert.Equal(_image.Layers.Select(l => l.DiffId.ToString()), config.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["/bin/busybox", "cat", "/etc/hello.txt"], config.GetProperty("config").GetProperty("Cmd").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(3, config.GetProperty("history").GetArrayLength());
    }

    [Fact]
    public async Task Umoci_unpacks_the_tagged_image_to_the_layer_files()
    {
        var layout = await ArchiveInspection.ExtractAsync(await ExportAsync(), _dir.Combine("layout"));
        var bundle = _dir.Combine("bundle");

        await ProcessRunner.RunAsync(Tools.Umoci, ["unpack", "--image", $"{layout}:1", bundle], CancellationToken.None);

        var rootfs = Path.Combine(bundle, "rootfs");
        Assert.Equal(TestImage.Hello, File.ReadAllText(Path.Combine(rootfs, "etc/hello.txt")));
        Assert.Equal(TestImage.Message, File.ReadAllText(Path.Combine(rootfs, "app/message.txt")));
        Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(Path.Combine(rootfs, "app/message.txt")));
        Assert.Equal(File.ReadAllBytes(Tools.StaticBusybox), File.ReadAllBytes(Path.Combine(rootfs, "bin/busybox")));
        Assert.Equal("busybox", new FileInfo(Path.Combine(rootfs, "bin/cat")).LinkTarget);
        // umoci turns the config into a runtime spec: Env and Cmd must have come through.
        var spec = ArchiveInspection.ParseJson(File.ReadAllText(Path.Combine(bundle, "config.json")));
        Assert.Equal(["/bin/busybox", "cat", "/etc/hello.txt"], spec.GetProperty("process").GetProperty("args").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal("/app", spec.GetProperty("process").GetProperty("cwd").GetString());
    }

    [Fact]
    public async Task Oci_image_tool_validates_the_layout()
    {
        var layout = await ArchiveInspection.ExtractAsync(await ExportAsync(), _dir.Combine("layout"));

        var result = await ProcessRunner.RunAsync(Tools.OciImageTool, ["validate", "--type", "image", "--ref", "name=1", layout], CancellationToken.None);
        Assert.Contains("Validation succeeded", result.StandardOutput + result.StandardError);
    }

    [Fact]
    public async Task Every_blob_is_named_by_its_sha256_and_each_layer_unzips_to_its_diff_id()
    {
        var members = ArchiveInspection.Read(await ExportAsync());

        var blobs = members.Where(m => m.Type == TarEntryType.RegularFile && m.Name.StartsWith("blobs/sha256/")).ToList();
        foreach (var blob in blobs)
            Assert.Equal(blob.Name["blobs/sha256/".Length..], Digest.Of(blob.Content).Encoded);

        var expected = new[] { _image.Image.Manifest.Digest, _image.Image.ImageId }.Concat(_image.Layers.Select(l => l.Blob.Digest));
        Assert.Equal(expected.Select(d => d.Encoded).Order(), blobs.Select(b => b.Name["blobs/sha256/".Length..]).Order());

        var config = ArchiveInspection.ParseJson(System.Text.Encoding.UTF8.GetString(blobs.Single(b => b.Name.EndsWith(_image.Image.ImageId.Encoded)).Content));
        var diffIds = config.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(e => e.GetString()).ToList();
        for (var i = 0; i < _image.Layers.Count; i++)
        {
            var layerBlob = blobs.Single(b => b.Name.EndsWith(_image.Layers[i].Blob.Digest.Encoded)).Content;
            using var gunzip = new GZipStream(new MemoryStream(layerBlob), CompressionMode.Decompress);
            var tar = new MemoryStream();
            gunzip.CopyTo(tar);
            Assert.Equal(diffIds[i], Digest.Of(tar.ToArray()).ToString());
            Assert.Equal(_image.LayerTars[i], tar.ToArray());
        }
    }

    [Fact]
    public async Task Index_names_the_image_like_BuildKit()
    {
        var members = ArchiveInspection.Read(await ExportAsync());

        Assert.Equal("""{"imageLayoutVersion":"1.0.0"}""", System.Text.Encoding.UTF8.GetString(members.Single(m => m.Name == "oci-layout").Content));
        var index = members.Single(m => m.Name == "index.json").Json();
        Assert.Equal(2, index.GetProperty("schemaVersion").GetInt32());
        var entry = Assert.Single(index.GetProperty("manifests").EnumerateArray());
        Assert.Equal(_image.Image.Manifest.Digest.ToString(), entry.GetProperty("digest").GetString());
        Assert.Equal(_image.Image.Manifest.Size, entry.GetProperty("size").GetInt64());
        Assert.Equal(MediaTypes.OciManifest, entry.GetProperty("mediaType").GetString());
        var annotations = entry.GetProperty("annotations");
        Assert.Equal("1", annotations.GetProperty("org.opencontainers.image.ref.name").GetString());
        Assert.Equal("docker.io/library/app:1", annotations.GetProperty("io.containerd.image.name").GetString());
    }

    [Theory]
    [InlineData("team/app:v2", "docker.io/team/app:v2", "v2")]
    [InlineData("localhost:5000/team/app:v2", "localhost:5000/team/app:v2", "v2")]
    [InlineData("registry.example.com/app", "registry.example.com/app:latest", "latest")]
    public async Task Index_qualifies_names_the_way_Docker_resolves_them(string name, string fullName, string refName)
    {
        var index = ArchiveInspection.Read(await ExportAsync(name)).Single(m => m.Name == "index.json").Json();

        var annotations = index.GetProperty("manifests")[0].GetProperty("annotations");
        Assert.Equal(fullName, annotations.GetProperty("io.containerd.image.name").GetString());
        Assert.Equal(refName, annotations.GetProperty("org.opencontainers.image.ref.name").GetString());
    }

    [Fact]
    public async Task Exporting_twice_gives_byte_identical_archives()
    {
        var first = await ExportAsync(file: "first.tar");
        var second = await ExportAsync(file: "second.tar");

        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
    }

    [Fact]
    public async Task Members_are_sorted_with_fixed_owner_mode_and_mtime()
    {
        var epoch = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var members = ArchiveInspection.Read(await ExportAsync(timestamp: epoch));

        Assert.Equal(members.Select(m => m.Name).Order(StringComparer.Ordinal), members.Select(m => m.Name));
        Assert.Equal(["blobs/", "blobs/sha256/"], members.Where(m => m.Type == TarEntryType.Directory).Select(m => m.Name));
        Assert.All(members, m =>
        {
            Assert.Equal(TarEntryFormat.Ustar, m.Format);
            Assert.Equal(epoch, m.ModificationTime);
            Assert.Equal((0, 0, "", ""), (m.Uid, m.Gid, m.UserName, m.GroupName));
            Assert.Equal(m.Type == TarEntryType.Directory ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100, m.Mode);
        });
    }

    [Fact]
    public async Task Default_mtime_is_the_unix_epoch()
    {
        var members = ArchiveInspection.Read(await ExportAsync());

        Assert.All(members, m => Assert.Equal(DateTimeOffset.UnixEpoch, m.ModificationTime));
    }

    [Fact]
    public async Task A_failed_export_leaves_the_previous_file_and_no_temp_file()
    {
        var path = _dir.Combine("out", "image.tar");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, "previous export");
        var damaged = TestImage.Build(_dir.Combine("damaged-store")); // not the shared image: this test breaks its store
        damaged.Store.Delete(damaged.Layers[1].Blob.Digest);

        var error = await Assert.ThrowsAsync<SbuildException>(() =>
            new OciArchiveWriter().WriteToFileAsync(damaged.ToExport("app:1"), path, CancellationToken.None));

        Assert.Equal(ErrorCode.BlobNotFound, error.Code);
        Assert.Contains(damaged.Layers[1].Blob.Digest.ToString(), error.Message);
        Assert.Equal("previous export", await File.ReadAllTextAsync(path));
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public async Task A_cancelled_export_leaves_no_file()
    {
        var path = _dir.Combine("image.tar");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new OciArchiveWriter().WriteToFileAsync(_image.ToExport("app:1"), path, new CancellationToken(canceled: true)));

        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public async Task Replaces_an_existing_archive_and_refuses_a_missing_directory()
    {
        var missing = _dir.Combine("new", "dir", "image.tar");
        var error = await Assert.ThrowsAsync<SbuildException>(() => new OciArchiveWriter().WriteToFileAsync(_image.ToExport("app:1"), missing, CancellationToken.None));
        Assert.Equal($"cannot write the archive to {missing}: the directory {_dir.Combine("new", "dir")} does not exist", error.Message);

        var path = _dir.Combine("image.tar");
        await new OciArchiveWriter().WriteToFileAsync(_image.ToExport("app:1"), path, CancellationToken.None);
        var before = await File.ReadAllBytesAsync(path);

        await new OciArchiveWriter().WriteToFileAsync(_image.ToExport("app:2"), path, CancellationToken.None);

        var index = ArchiveInspection.Read(path).Single(m => m.Name == "index.json").Json();
        Assert.Equal("2", index.GetProperty("manifests")[0].GetProperty("annotations").GetProperty("org.opencontainers.image.ref.name").GetString());
        Assert.NotEqual(before, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task An_unnamed_image_gets_an_index_entry_without_names()
    {
        var path = _dir.Combine("image.tar");
        await new OciArchiveWriter().WriteToFileAsync(_image.ToExport(), path, CancellationToken.None);

        var entry = ArchiveInspection.Read(path).Single(m => m.Name == "index.json").Json().GetProperty("manifests")[0];
        Assert.False(entry.TryGetProperty("annotations", out _));
        await ArchiveInspection.SkopeoInspectAsync($"oci-archive:{path}");
    }
}
