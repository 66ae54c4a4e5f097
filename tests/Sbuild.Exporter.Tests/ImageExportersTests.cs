using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Exporter.Tests;

public sealed class ImageExportersTests(SharedTestImage shared) : IClassFixture<SharedTestImage>, IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestImage _image = shared.Image;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Oci_option_writes_an_oci_archive_named_after_the_image()
    {
        var path = _dir.Combine("app.tar");

        await ImageExporters.Create(ExportOptions.Parse($"type=oci,dest={path}")).ExportAsync(_image.ToExport("app:1"), CancellationToken.None);

        var members = ArchiveInspection.Read(path);
        Assert.DoesNotContain(members, m => m.Name == "manifest.json");
        var annotations = members.Single(m => m.Name == "index.json").Json().GetProperty("manifests")[0].GetProperty("annotations");
        Assert.Equal("1", annotations.GetProperty("org.opencontainers.image.ref.name").GetString());
    }

    [Fact]
    public async Task Name_option_replaces_the_image_names()
    {
        var path = _dir.Combine("app.tar");

        await ImageExporters.Create(ExportOptions.Parse($"type=docker,dest={path},name=other:7"))
            .ExportAsync(_image.ToExport("app:1"), CancellationToken.None);

        var entry = ArchiveInspection.Read(path).Single(m => m.Name == "manifest.json").Json()[0];
        Assert.Equal(["other:7"], entry.GetProperty("RepoTags").EnumerateArray().Select(e => e.GetString()!));
    }

    [Fact]
    public async Task Dash_destination_streams_the_same_bytes_to_standard_output()
    {
        var path = _dir.Combine("app.tar");
        await ImageExporters.Create(ExportOptions.Parse($"type=docker,dest={path}")).ExportAsync(_image.ToExport("app:1"), CancellationToken.None);
        var stdout = new MemoryStream();

        // A MemoryStream is no file, so blobs take the ordinary (non-kernel) copy path: the bytes must not differ.
        // The exporter disposes the stream it is given; a MemoryStream still hands out its bytes afterwards.
        await ImageExporters.Create(ExportOptions.Parse("type=docker,dest=-"), () => stdout)
            .ExportAsync(_image.ToExport("app:1"), CancellationToken.None);

        Assert.Equal(await File.ReadAllBytesAsync(path), stdout.ToArray());
    }

    [Fact]
    public async Task Timestamp_option_sets_every_member_mtime()
    {
        var path = _dir.Combine("app.tar");
        var epoch = DateTimeOffset.FromUnixTimeSeconds(1_234_567_890);
        var options = ExportOptions.Parse($"type=oci,dest={path}") with { Timestamp = epoch };

        await ImageExporters.Create(options).ExportAsync(_image.ToExport("app:1"), CancellationToken.None);

        Assert.All(ArchiveInspection.Read(path), m => Assert.Equal(epoch, m.ModificationTime));
    }

    [Fact]
    public async Task A_directory_as_destination_is_refused()
    {
        var error = await Assert.ThrowsAsync<SbuildException>(() =>
            ImageExporters.Create(ExportOptions.Parse($"type=oci,dest={_dir.Path}")).ExportAsync(_image.ToExport("app:1"), CancellationToken.None));

        Assert.Equal(ErrorCode.InvalidOption, error.Code);
        Assert.Contains($"{_dir.Path}: it is a directory", error.Message);
    }

    [Fact]
    public async Task An_unwritable_destination_is_refused_with_its_path()
    {
        var blocker = _dir.Combine("file");
        await File.WriteAllTextAsync(blocker, "not a directory");
        var path = Path.Combine(blocker, "app.tar");

        var error = await Assert.ThrowsAsync<SbuildException>(() =>
            ImageExporters.Create(ExportOptions.Parse($"type=oci,dest={path}")).ExportAsync(_image.ToExport("app:1"), CancellationToken.None));

        Assert.Equal(ErrorCode.InvalidOption, error.Code);
        Assert.Contains($"cannot write the archive to {path}", error.Message);
    }

    [Fact]
    public async Task A_cancelled_export_leaves_no_file_beside_the_destination()
    {
        var path = _dir.Combine("cancelled", "app.tar");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            ImageExporters.Create(ExportOptions.Parse($"type=oci,dest={path}")).ExportAsync(_image.ToExport("app:1"), cancel.Token));

        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(path)!));
    }
}
