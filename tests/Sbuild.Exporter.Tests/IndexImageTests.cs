using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Exporter.Tests;

/// <summary>Images whose root is an index of per-platform manifests.</summary>
public sealed class IndexImageTests(SharedTestImage shared) : IClassFixture<SharedTestImage>, IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestImage _image = shared.Image;

    public void Dispose() => _dir.Dispose();

    private ExportImage IndexOf(params Platform[] platforms)
    {
        var index = new ImageIndex { Manifests = platforms.Select(p => _image.Image.Manifest with { Platform = p }).ToList() };
        var descriptor = _image.Store.WriteJson(index, OciJsonContext.Canonical.ImageIndex, MediaTypes.OciIndex);
        return new ExportImage(descriptor, [ImageReference.Parse("app:1")], _image.Store);
    }

    private static readonly Platform Other = new() { Os = "linux", Architecture = "s390x" };

    [Fact]
    public async Task Oci_archive_keeps_the_index_and_skopeo_picks_the_host_manifest()
    {
        var image = IndexOf(Other, Platform.Host);
        var path = _dir.Combine("image.tar");

        await new OciArchiveWriter().WriteToFileAsync(image, path, CancellationToken.None);

        var members = ArchiveInspection.Read(path);
        Assert.Contains(members, m => m.Name == $"blobs/sha256/{image.Manifest.Digest.Encoded}");
        var entry = members.Single(m => m.Name == "index.json").Json().GetProperty("manifests")[0];
        Assert.Equal(MediaTypes.OciIndex, entry.GetProperty("mediaType").GetString());
        var inspect = await ArchiveInspection.SkopeoInspectAsync($"oci-archive:{path}");
        Assert.Equal(_image.Layers.Select(l => l.Blob.Digest.ToString()), inspect.GetProperty("Layers").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Docker_archive_lists_the_host_platform_manifest()
    {
        var path = _dir.Combine("image.tar");

        await new DockerArchiveWriter().WriteToFileAsync(IndexOf(Other, Platform.Host), path, CancellationToken.None);

        var entry = ArchiveInspection.Read(path).Single(m => m.Name == "manifest.json").Json()[0];
        Assert.Equal($"blobs/sha256/{_image.Image.ImageId.Encoded}", entry.GetProperty("Config").GetString());
    }

    [Fact]
    public async Task Docker_archive_refuses_an_index_without_the_host_platform()
    {
        var error = await Assert.ThrowsAsync<SbuildException>(() =>
            new DockerArchiveWriter().WriteToFileAsync(IndexOf(Other, Other with { Architecture = "riscv64" }), _dir.Combine("image.tar"), CancellationToken.None));

        Assert.Contains($"no manifest for {Platform.Host}", error.Message);
        Assert.False(File.Exists(_dir.Combine("image.tar")));
    }
}
