using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Sbuild.Archive.Compression;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Engine.Tests.Add;

/// <summary>ADD &lt;url&gt;: downloads from a real HTTP server on 127.0.0.1, checksums, and how the file lands in the rootfs.</summary>
public sealed class UrlSourceTests : IDisposable
{
    private static readonly DateTimeOffset LastModified = new(2015, 10, 21, 7, 28, 0, TimeSpan.Zero);

    private readonly AddFixture _f = new();
    private readonly TestHttpServer _server = new();
    private readonly HttpClient _http = new();
    private readonly string _downloads;

    public UrlSourceTests()
    {
        _downloads = Directory.CreateDirectory(_f.WorkFile("downloads")).FullName;
    }

    public void Dispose()
    {
        _http.Dispose();
        _server.Dispose();
        _f.Dispose();
    }

    private UrlSource Source(TimeSpan? stall = null) => new(_http, stall ?? TimeSpan.FromSeconds(10));

    private Task<DownloadedFile> DownloadAsync(string path, Digest? expected = null, TimeSpan? stall = null) =>
        Source(stall).DownloadAsync(_server.Url(path), _downloads, expected, CancellationToken.None);

    private static int Octal(string mode) => Convert.ToInt32(mode, 8);

    /// <summary>A real .tar.gz, to show that ADD leaves URL content packed.</summary>
    private async Task<byte[]> TarGzAsync()
    {
        var tar = new TarBuilder().File("inside.txt", "inside").WriteTo(_f.WorkFile("tool.tar"));
        return await File.ReadAllBytesAsync(await CompressTool.CompressAsync(ArchiveCompression.Gzip, tar));
    }

    [Fact]
    public async Task A_download_has_the_url_name_content_digest_and_last_modified()
    {
        var body = await TarGzAsync();
        _server.Serve("/releases/v1/tool.tar.gz", new TestResponse(200, body, LastModified));

        using var file = await DownloadAsync("/releases/v1/tool.tar.gz");

        Assert.Equal("tool.tar.gz", file.FileName);
        Assert.Equal(body, await File.ReadAllBytesAsync(file.TempPath));
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(body)), file.Digest.ToString());
        Assert.Equal(body.Length, file.Size);
        Assert.Equal(LastModified, file.LastModified);
        Assert.Equal(Path.GetFullPath(_downloads), Path.GetDirectoryName(file.TempPath));
    }

    [Fact]
    public async Task Installed_into_a_directory_it_is_0600_root_owned_with_the_last_modified_time_and_not_unpacked()
    {
        var body = await TarGzAsync();
        _server.Serve("/tool.tar.gz", new TestResponse(200, body, LastModified));
        using var file = await DownloadAsync("/tool.tar.gz");

        var written = DownloadedFileInstaller.Install(file, _f.Rootfs.Root, "/usr/local/lib/", AddFixture.NoChown);

        Assert.Equal("/usr/local/lib/tool.tar.gz", written);
        Assert.Equal(body, await File.ReadAllBytesAsync(_f.Rootfs.HostPath("/usr/local/lib/tool.tar.gz")));
        var st = _f.Stat("/usr/local/lib/tool.tar.gz");
        Assert.Equal((FileKind.Regular, Octal("0600"), 0u, 0u), (st.Kind, st.Permissions, st.Uid, st.Gid));
        Assert.Equal((1445412480L, 0L), _f.MTime("/usr/local/lib/tool.tar.gz")); // date -d '2015-10-21 07:28:00 UTC' +%s
        Assert.Equal((Octal("0755"), 0u), (_f.Stat("/usr/local").Permissions, _f.Stat("/usr/local").Uid));
        Assert.False(_f.Exists("/usr/local/lib/inside.txt"));
    }

    [Fact]
    public async Task Only_unpack_true_unpacks_a_downloaded_archive_and_a_download_that_is_no_archive_stays_a_file()
    {
        // BuildKit's ADD --unpack=true <url> (checked by the oracle): the archive's entries land in the destination.
        _server.Serve("/tool.tar.gz", new TestResponse(200, await TarGzAsync(), LastModified));
        _server.Serve("/plain.txt", new TestResponse(200, "plain"u8.ToArray(), LastModified));
        using var archive = await DownloadAsync("/tool.tar.gz");
        using var plain = await DownloadAsync("/plain.txt");

        await DownloadedFileInstaller.AddAsync(archive, _f.Rootfs.Root, "/unpacked/", new CopyOwnership(7, 8, ChmodSpec.Parse("777"), false), unpack: true, CancellationToken.None);
        await DownloadedFileInstaller.AddAsync(archive, _f.Rootfs.Root, "/kept/", AddFixture.NoChown, unpack: false, CancellationToken.None);
        await DownloadedFileInstaller.AddAsync(plain, _f.Rootfs.Root, "/plain/", AddFixture.NoChown, unpack: true, CancellationToken.None);

        Assert.Equal("inside", File.ReadAllText(_f.Rootfs.HostPath("/unpacked/inside.txt")));
        var inside = _f.Stat("/unpacked/inside.txt");
        Assert.Equal((7u, 8u), (inside.Uid, inside.Gid)); // --chown owns the entries; --chmod (0777 here) does not apply
        Assert.NotEqual(Octal("0777"), inside.Permissions);
        Assert.False(_f.Exists("/unpacked/tool.tar.gz"));
        Assert.True(_f.Exists("/kept/tool.tar.gz"));
        Assert.Equal((FileKind.Regular, Octal("0600")), (_f.Stat("/plain/plain.txt").Kind, _f.Stat("/plain/plain.txt").Permissions));
    }

    [Fact]
    public async Task Without_last_modified_the_mtime_is_the_epoch()
    {
        _server.Serve("/plain", new TestResponse(200, "data"u8.ToArray()));
        using var file = await DownloadAsync("/plain");

        DownloadedFileInstaller.Install(file, _f.Rootfs.Root, "/", AddFixture.NoChown);

        Assert.Null(file.LastModified);
        Assert.Equal((0L, 0L), _f.MTime("/plain"));
    }

    [Fact]
    public async Task A_destination_without_slash_names_the_file_unless_it_is_an_existing_directory()
    {
        _server.Serve("/get/app.bin", new TestResponse(200, "app"u8.ToArray()));
        _f.Rootfs.Dir("/existing");
        using var file = await DownloadAsync("/get/app.bin");

        Assert.Equal("/opt/renamed", DownloadedFileInstaller.Install(file, _f.Rootfs.Root, "/opt/renamed", AddFixture.NoChown));
        Assert.Equal("/existing/app.bin", DownloadedFileInstaller.Install(file, _f.Rootfs.Root, "/existing", AddFixture.NoChown));

        Assert.Equal("app", _f.Read("/opt/renamed"));
        Assert.Equal("app", _f.Read("/existing/app.bin"));
    }

    [Fact]
    public async Task Chown_and_chmod_apply_to_the_downloaded_file()
    {
        _server.Serve("/script.sh", new TestResponse(200, "#!/bin/sh\n"u8.ToArray()));
        using var file = await DownloadAsync("/script.sh");

        DownloadedFileInstaller.Install(file, _f.Rootfs.Root, "/bin/", new CopyOwnership(1000, 1001, ChmodSpec.Parse("0755"), PreserveOwnership: false));

        var st = _f.Stat("/bin/script.sh");
        Assert.Equal((Octal("0755"), 1000u, 1001u), (st.Permissions, st.Uid, st.Gid));
    }

    [Fact]
    public async Task An_existing_symlink_at_the_target_is_replaced_not_written_through()
    {
        var victim = Path.Combine(_f.Outside, "victim");
        File.WriteAllText(victim, "original");
        _f.Rootfs.Symlink("/etc/conf", victim);
        _server.Serve("/conf", new TestResponse(200, "downloaded"u8.ToArray()));
        using var file = await DownloadAsync("/conf");

        DownloadedFileInstaller.Install(file, _f.Rootfs.Root, "/etc/conf", AddFixture.NoChown);

        Assert.Equal((FileKind.Regular, "downloaded"), (_f.Stat("/etc/conf").Kind, _f.Read("/etc/conf")));
        Assert.Equal("original", File.ReadAllText(victim));
    }

    [Fact]
    public async Task A_missing_file_fails_with_the_url_and_status_and_leaves_no_temp_file()
    {
        var e = await Assert.ThrowsAsync<SbuildException>(() => DownloadAsync("/nope.tgz"));

        Assert.Contains(_server.Url("/nope.tgz"), e.Message);
        Assert.Contains("404", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_downloads));
    }

    [Fact]
    public async Task A_server_error_status_fails()
    {
        _server.Serve("/broken", new TestResponse(500, "oops"u8.ToArray()));

        var e = await Assert.ThrowsAsync<SbuildException>(() => DownloadAsync("/broken"));

        Assert.Contains("500", e.Message);
    }

    [Fact]
    public async Task A_matching_checksum_is_accepted()
    {
        var body = Encoding.UTF8.GetBytes("pinned content");
        _server.Serve("/pinned", new TestResponse(200, body));

        using var file = await DownloadAsync("/pinned", Digest.Of(body));

        Assert.Equal(Digest.Of(body), file.Digest);
    }

    [Fact]
    public async Task A_checksum_mismatch_names_both_digests_and_deletes_the_download()
    {
        var body = Encoding.UTF8.GetBytes("tampered content");
        var pinned = Digest.Of("what the author pinned"u8);
        _server.Serve("/pinned", new TestResponse(200, body));

        var e = await Assert.ThrowsAsync<SbuildException>(() => DownloadAsync("/pinned", pinned));

        Assert.Equal(ErrorCode.DigestMismatch, e.Code);
        Assert.Contains(pinned.ToString(), e.Message);
        Assert.Contains(Digest.Of(body).ToString(), e.Message);
        Assert.Contains(_server.Url("/pinned"), e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_downloads));
    }

    [Fact]
    public async Task A_stalled_download_times_out()
    {
        _server.Serve("/slow", new TestResponse(200, new byte[100_000], StallAfterBytes: 1000));
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<SbuildException>(() => DownloadAsync("/slow", stall: TimeSpan.FromMilliseconds(300)));

        Assert.Contains(_server.Url("/slow"), e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_downloads));
    }

    [Fact]
    public async Task A_refused_connection_fails_with_the_url()
    {
        var url = $"http://127.0.0.1:{TestHttpServer.FreePort()}/file";

        var e = await Assert.ThrowsAsync<SbuildException>(() => Source().DownloadAsync(url, _downloads, null, CancellationToken.None));

        Assert.Contains(url, e.Message);
    }

    [Fact]
    public async Task A_large_body_is_saved_intact()
    {
        var body = new byte[8 * 1024 * 1024];
        new Random(7).NextBytes(body);
        _server.Serve("/big.bin", new TestResponse(200, body));

        using var file = await DownloadAsync("/big.bin");

        Assert.Equal(Digest.Of(body), file.Digest);
        Assert.Equal(Digest.Of(body), Digest.Of(File.OpenRead(file.TempPath)));
    }

    [Fact]
    public async Task Disposing_the_download_deletes_the_temp_file()
    {
        _server.Serve("/f", new TestResponse(200, "x"u8.ToArray()));
        var file = await DownloadAsync("/f");
        Assert.True(File.Exists(file.TempPath));

        file.Dispose();

        Assert.False(File.Exists(file.TempPath));
    }

    [Theory]
    [InlineData("http://example.com/a/b/tool.tar.gz", "tool.tar.gz")]
    [InlineData("https://example.com/a/b/tool.tar.gz?token=1#frag", "tool.tar.gz")]
    [InlineData("https://example.com/dir/", "dir")]
    [InlineData("https://example.com/my%20file.txt", "my file.txt")]
    [InlineData("https://example.com/", UrlSource.UnnamedFile)]
    [InlineData("https://example.com", UrlSource.UnnamedFile)]
    public void The_file_name_is_the_last_segment_of_the_url_path(string url, string expected) =>
        Assert.Equal(expected, UrlSource.FileNameFor(url));

    [Theory]
    [InlineData("http://example.com/x", true)]
    [InlineData("https://example.com/x", true)]
    [InlineData("git@github.com:moby/buildkit.git", false)]
    [InlineData("ftp://example.com/x", false)]
    [InlineData("local/file.tar", false)]
    public void Only_http_and_https_sources_are_urls(string source, bool expected) =>
        Assert.Equal(expected, Sbuild.Frontend.SourceUrl.IsUrl(source));
}
