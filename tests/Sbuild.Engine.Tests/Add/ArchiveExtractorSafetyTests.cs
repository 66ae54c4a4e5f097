using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Engine.Tests.Add;

/// <summary>
/// Hostile archives and rootfs symlinks: nothing may be written outside the destination directory, and certainly not
/// outside the rootfs. Every test also checks the work directory around the rootfs is exactly as it was.
/// </summary>
public sealed class ArchiveExtractorSafetyTests : IDisposable
{
    private readonly AddFixture _f = new();
    private readonly string[] _outsideBefore;

    public ArchiveExtractorSafetyTests()
    {
        File.WriteAllText(Path.Combine(_f.Outside, "victim"), "original");
        _outsideBefore = _f.FilesOutsideRootfs();
    }

    public void Dispose() => _f.Dispose();

    /// <summary>Nothing appeared or changed next to the rootfs (archives written by the test are listed before it snapshots).</summary>
    private void AssertOutsideUntouched(params string[] archives)
    {
        var expected = _outsideBefore.Concat(archives.Select(a => Path.GetRelativePath(_f.Work, a))).Order(StringComparer.Ordinal);
        Assert.Equal(expected, _f.FilesOutsideRootfs());
        Assert.Equal("original", File.ReadAllText(Path.Combine(_f.Outside, "victim")));
        Assert.Equal([Path.Combine(_f.Outside, "victim")], Directory.EnumerateFileSystemEntries(_f.Outside));
    }

    /// <summary>Extracting <paramref name="archive"/> into <paramref name="destination"/> must fail as an invalid archive.</summary>
    private async Task<SbuildException> RejectedAsync(string archive, string destination)
    {
        var e = await Assert.ThrowsAsync<SbuildException>(() => _f.ExtractAsync(archive, destination));
        Assert.Equal(ErrorCode.InvalidArchive, e.Code);
        return e;
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("a/../../escape.txt")]
    [InlineData("./../../../../escape.txt")]
    public async Task Names_climbing_out_of_the_destination_are_rejected(string name)
    {
        var archive = new TarBuilder().File("ok.txt", "ok").File(name, "pwned").WriteTo(_f.WorkFile("dotdot.tar"));

        // Destination /sub: even a climb that would stay inside the rootfs leaves the destination, which Docker refuses.
        var e = await RejectedAsync(archive, "/sub");

        Assert.Contains(name, e.Message);
        Assert.False(_f.Exists("/escape.txt"));
        AssertOutsideUntouched(archive);
    }

    [Fact]
    public async Task Absolute_names_land_below_the_destination()
    {
        var archive = new TarBuilder().File("/etc/evil", "x").WriteTo(_f.WorkFile("abs.tar"));

        await _f.ExtractAsync(archive, "/opt");

        Assert.Equal("x", _f.Read("/opt/etc/evil"));
        Assert.False(_f.Exists("/etc/evil"));
        AssertOutsideUntouched(archive);
    }

    [Fact]
    public async Task An_archive_symlink_climbing_out_cannot_be_written_through()
    {
        var archive = new TarBuilder()
            .Symlink("esc", "../../../../../../../..")
            .File("esc/pwned", "pwned")
            .WriteTo(_f.WorkFile("climb.tar"));

        var e = await RejectedAsync(archive, "/dst");

        Assert.Contains("esc/pwned", e.Message);
        AssertOutsideUntouched(archive);
    }

    [Fact]
    public async Task An_archive_symlink_to_an_absolute_host_path_resolves_inside_the_destination()
    {
        var archive = new TarBuilder()
            .Symlink("hostdir", _f.Outside)
            .File("hostdir/pwned", "pwned")
            .WriteTo(_f.WorkFile("abslink.tar"));

        await _f.ExtractAsync(archive, "/dst");

        // The symlink is kept as written; what went through it landed at <destination>/<its target>.
        Assert.Equal(_f.Outside, new FileInfo(_f.Rootfs.HostPath("/dst/hostdir")).LinkTarget);
        Assert.Equal("pwned", _f.Read("/dst" + _f.Outside + "/pwned"));
        AssertOutsideUntouched(archive);
    }

    [Fact]
    public async Task A_symlink_in_the_rootfs_where_a_file_goes_is_replaced_not_written_through()
    {
        _f.Rootfs.Symlink("/dst/victim", Path.Combine(_f.Outside, "victim"));
        var archive = new TarBuilder().File("victim", "replaced").WriteTo(_f.WorkFile("leaf.tar"));

        await _f.ExtractAsync(archive, "/dst");

        Assert.Equal((FileKind.Regular, "replaced"), (_f.Stat("/dst/victim").Kind, _f.Read("/dst/victim")));
        AssertOutsideUntouched(archive);
    }

    [Fact]
    public async Task A_destination_symlinked_to_a_host_path_stays_inside_the_rootfs()
    {
        _f.Rootfs.Symlink("/out", _f.Outside);
        var archive = new TarBuilder().File("pwned", "pwned").WriteTo(_f.WorkFile("dest.tar"));

        await _f.ExtractAsync(archive, "/out");

        Assert.Equal("pwned", _f.Read(_f.Outside + "/pwned")); // the rootfs path named like the host path
        AssertOutsideUntouched(archive);
    }

    [Theory]
    [InlineData("../../outside/victim")]
    [InlineData("missing/file")]
    [InlineData("dir")]
    public async Task Hard_links_must_point_to_a_file_inside_the_destination(string target)
    {
        var archive = new TarBuilder().Dir("dir/").HardLink("link", target).WriteTo(_f.WorkFile("hard.tar"));

        var e = await RejectedAsync(archive, "/dst");

        Assert.Contains(target, e.Message);
        Assert.Equal(1u, UnixFs.LStat(Path.Combine(_f.Outside, "victim")).LinkCount);
        AssertOutsideUntouched(archive);
    }

    [Fact]
    public async Task A_hard_link_through_a_symlink_leading_out_is_rejected()
    {
        var archive = new TarBuilder()
            .Symlink("up", "../..")
            .HardLink("link", "up/outside/victim")
            .WriteTo(_f.WorkFile("hardsym.tar"));

        await RejectedAsync(archive, "/");

        Assert.Equal(1u, UnixFs.LStat(Path.Combine(_f.Outside, "victim")).LinkCount);
        AssertOutsideUntouched(archive);
    }

    [Fact]
    public async Task A_symlink_loop_fails_instead_of_hanging()
    {
        var archive = new TarBuilder().Symlink("a", "b").Symlink("b", "a").File("a/x", "x").WriteTo(_f.WorkFile("loop.tar"));

        var e = await RejectedAsync(archive, "/");

        Assert.Contains("symbolic links", e.Message);
    }
}
