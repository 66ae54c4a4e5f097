using System.Formats.Tar;
using Sbuild.Core;
using Sbuild.Snapshotter;
using Sbuild.TestSupport;
using static Sbuild.Snapshotter.Tests.TreeBuilder;

namespace Sbuild.Snapshotter.Tests;

/// <summary>Extraction of layers built by other tools (System.Formats.Tar, GNU tar) and by sbuild itself.</summary>
public sealed class LayerApplierTests : IDisposable
{
    private readonly SnapshotFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Theory]
    [InlineData("../escaped")]
    [InlineData("dir/../../escaped")]
    public async Task Entries_climbing_out_with_dotdot_are_rejected(string name)
    {
        var target = _fixture.NewDirectory("target/root");
        var layer = Layer(w => w.WriteEntry(FileEntry(name, "x")));

        var error = await Assert.ThrowsAsync<SbuildException>(() => Apply(layer, target));

        Assert.Equal(ErrorCode.InvalidArchive, error.Code);
        Assert.Contains(name, error.Message);
        Assert.False(Exists(_fixture.Root("target"), "escaped"));
    }

    [Fact]
    public async Task Dotdot_parts_that_stay_inside_the_layer_are_cleaned_away()
    {
        // Docker and containerd clean "dir/../file" to "file"; the layer reader used to refuse any "..", while ADD accepted it.
        var target = _fixture.NewDirectory("target");

        await Apply(Layer(w => w.WriteEntry(FileEntry("dir/../file", "x"))), target);

        Assert.Equal("x", Read(target, "file"));
    }

    [Fact]
    public async Task Sub_second_times_are_applied_to_the_nanosecond()
    {
        // containerd applies a PAX mtime's fraction; the layer reader used to drop it (ADD, on another reader, kept it).
        var target = _fixture.NewDirectory("target");
        var time = OldTime.AddMilliseconds(250);
        var file = FileEntry("f", "x");
        file.ModificationTime = time;
        var dir = new PaxTarEntry(TarEntryType.Directory, "d/") { ModificationTime = time, Mode = (UnixFileMode)0b111_101_101 };

        await Apply(Layer(w => { w.WriteEntry(file); w.WriteEntry(dir); }), target);

        var expected = (time.ToUnixTimeSeconds(), 250_000_000L);
        foreach (var name in new[] { "f", "d" })
        {
            var st = Posix.LStat(Path.Combine(target, name));
            Assert.Equal(expected, (st.MTimeSec, st.MTimeNsec));
        }
    }

    [Fact]
    public async Task Hard_links_pointing_out_of_the_root_are_rejected()
    {
        var outside = _fixture.NewDirectory("outside");
        Write(outside, "secret", "s");
        var target = _fixture.NewDirectory("target");

        var viaDotDot = Layer(w => w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "h") { LinkName = "../outside/secret" }));
        Assert.Equal(ErrorCode.InvalidArchive, (await Assert.ThrowsAsync<SbuildException>(() => Apply(viaDotDot, target))).Code);

        var viaSymlink = Layer(w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "out") { LinkName = outside });
            w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "h") { LinkName = "out/secret" });
        });
        var error = await Assert.ThrowsAsync<SbuildException>(() => Apply(viaSymlink, target));
        Assert.Equal(ErrorCode.InvalidArchive, error.Code);
        Assert.Equal(1u, UnixFs.LStat(Path.Combine(outside, "secret")).LinkCount);
    }

    [Fact]
    public async Task A_symlink_in_the_way_of_a_parent_is_replaced_by_a_directory_instead_of_being_followed()
    {
        var outside = _fixture.NewDirectory("outside");
        var target = _fixture.NewDirectory("target");
        var layer = Layer(w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "evil") { LinkName = outside });
            w.WriteEntry(FileEntry("evil/planted", "x"));
        });

        await Apply(layer, target);

        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.Equal(FileKind.Directory, UnixFs.LStat(Path.Combine(target, "evil")).Kind);
        Assert.Equal("x", Read(target, "evil/planted"));
    }

    [Fact]
    public async Task Deleting_mode_performs_whiteouts_but_spares_entries_of_the_same_layer()
    {
        var target = _fixture.NewDirectory("target");
        await Apply(Layer(w =>
        {
            w.WriteEntry(FileEntry("gone", "x"));
            w.WriteEntry(FileEntry("dir/lower-file", "x"));
            w.WriteEntry(FileEntry("dir/sub/lower-deep", "x"));
        }), target);

        // Sorted as sbuild writes layers: "dir/-new" ('-' 0x2D) comes before the opaque marker ('.' 0x2E).
        await Apply(Layer(w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "dir/"));
            w.WriteEntry(FileEntry("dir/-new", "n"));
            w.WriteEntry(FileEntry("dir/.wh..wh..opq", ""));
            w.WriteEntry(FileEntry("dir/sub/new-deep", "n"));
            w.WriteEntry(FileEntry(".wh.gone", ""));
            w.WriteEntry(FileEntry(".wh.never-existed", ""));
        }), target);

        Assert.False(Exists(target, "gone"));
        Assert.Equal(["dir/-new", "dir/sub", "dir/sub/new-deep"], RelativeEntries(Path.Combine(target), "dir"));
    }

    [Fact]
    public async Task Overlay_mode_turns_whiteouts_into_overlay_markers_that_the_kernel_honours()
    {
        var lower = _fixture.NewDirectory("lower");
        Write(lower, "gone", "x");
        Write(lower, "dir/hidden", "x");
        Write(lower, "kept", "k");
        var upper = _fixture.NewDirectory("upper");

        await LayerApplier.ApplyAsync(Layer(w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "dir/"));
            w.WriteEntry(FileEntry("dir/.wh..wh..opq", ""));
            w.WriteEntry(FileEntry("dir/new", "n"));
            w.WriteEntry(FileEntry(".wh.gone", ""));
        }), upper, WhiteoutHandling.OverlayMarkers, CancellationToken.None);

        var whiteout = UnixFs.LStat(Path.Combine(upper, "gone"));
        Assert.Equal((FileKind.CharDevice, 0u, 0u), (whiteout.Kind, whiteout.RdevMajor, whiteout.RdevMinor));
        Assert.Equal("y"u8.ToArray(), Xattrs.Get(Path.Combine(upper, "dir"), "trusted.overlay.opaque"));
        var work = _fixture.NewDirectory("work");
        _fixture.WithMounted([new Mount("overlay", "overlay", [$"lowerdir={lower}", $"upperdir={upper}", $"workdir={work}"])], merged =>
            Assert.Equal(["dir", "dir/new", "kept"], RelativeEntries(merged, "")));
    }

    [Fact]
    public async Task Layer_xattrs_cannot_forge_overlay_metadata()
    {
        var target = _fixture.NewDirectory("target");
        var layer = Layer(w => w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "d/", new Dictionary<string, string>
        {
            ["SCHILY.xattr.trusted.overlay.opaque"] = "y",
            ["SCHILY.xattr.user.fine"] = "ok",
        })));

        await LayerApplier.ApplyAsync(layer, target, WhiteoutHandling.OverlayMarkers, CancellationToken.None);

        Assert.Null(Xattrs.Get(Path.Combine(target, "d"), "trusted.overlay.opaque"));
        Assert.Equal("ok"u8.ToArray(), Xattrs.Get(Path.Combine(target, "d"), "user.fine"));
    }

    [Theory]
    [InlineData("gnu")]
    [InlineData("pax")]
    [InlineData("ustar")]
    public async Task Archives_written_by_gnu_tar_extract_to_the_same_tree(string format)
    {
        var gnuTar = Tools.Tar;
        var source = _fixture.NewDirectory("source");
        // ustar holds up to 255 bytes by splitting into prefix and name; gnu and pax go beyond with extension headers.
        var longDir = string.Join('/', Enumerable.Repeat(new string('n', 60), format == "ustar" ? 2 : 4));
        Write(source, $"{longDir}/file", "deep", OldTime);
        File.SetUnixFileMode(Write(source, "bin/tool", "#!/bin/sh\n"), (UnixFileMode)0b111_101_101 | UnixFileMode.SetUser);
        UnixFs.HardLink(Path.Combine(source, "bin/tool"), Path.Combine(source, "bin/alias"));
        File.CreateSymbolicLink(Path.Combine(source, "link"), format == "ustar" ? "bin/tool" : new string('t', 120));
        UnixFs.LChown(Write(source, "owned", "o"), 1000, 100);
        UnixFs.MakeFifo(Path.Combine(source, "fifo"), (UnixFileMode)0b110_000_000);
        UnixFs.MakeDevice(Path.Combine(source, "null"), FileKind.CharDevice, 1, 3, (UnixFileMode)0b110_110_110);
        Xattrs.Set(Path.Combine(source, "owned"), "user.note", [0x80, 0x00, 0x41]);
        var tarPath = Path.Combine(_fixture.NewDirectory("archive"), "layer.tar");
        string[] xattrArgs = format == "pax" ? ["--xattrs", "--xattrs-include=user.*"] : [];
        await ProcessRunner.RunAsync(gnuTar, [$"--format={format}", .. xattrArgs, "-cf", tarPath, "-C", source, "."], CancellationToken.None);

        var target = _fixture.NewDirectory("target");
        await using (var layer = File.OpenRead(tarPath))
            await LayerApplier.ApplyAsync(layer, target, WhiteoutHandling.Delete, CancellationToken.None);

        Assert.Empty(RootfsComparer.Compare(source, target, new RootfsCompareOptions { ExpectedName = "source", ActualName = "extracted" }));
        Assert.Equal(OldTime, new DateTimeOffset(File.GetLastWriteTimeUtc(Path.Combine(target, longDir, "file"))));
        if (format == "pax") Assert.Equal([0x80, 0x00, 0x41], Xattrs.Get(Path.Combine(target, "owned"), "user.note"));
    }

    [Fact]
    public async Task Diff_then_apply_reproduces_a_tree_with_its_metadata()
    {
        var source = _fixture.NewDirectory("source");
        Write(source, "etc/conf", "c", OldTime);
        UnixFs.LChown(Path.Combine(source, "etc/conf"), 33, 44);
        Xattrs.Set(Path.Combine(source, "etc/conf"), "user.raw", [0xFF, 0xFE, 0x00]);
        Write(source, "a/b/c/deep", "d");
        Directory.CreateDirectory(Path.Combine(source, "empty"));
        Directory.SetLastWriteTimeUtc(Path.Combine(source, "etc"), OldTime.UtcDateTime);
        File.CreateSymbolicLink(Path.Combine(source, "dangling"), "/nowhere");
        UnixFs.HardLink(Path.Combine(source, "a/b/c/deep"), Path.Combine(source, "hl"));
        var layer = new MemoryStream();
        using (var tree = new AliasedTree(source))
            await LayerWriter.WriteAsync(tree, CopiedTreeChanges.Scan(tree, parentTree: null, copy: null), layer, LayerDiffOptions.Default, CancellationToken.None);
        layer.Position = 0;

        var target = _fixture.NewDirectory("target");
        await LayerApplier.ApplyAsync(layer, target, WhiteoutHandling.Delete, CancellationToken.None);

        Assert.Empty(RootfsComparer.Compare(source, target, new RootfsCompareOptions { ExpectedName = "source", ActualName = "applied" }));
        Assert.Equal([0xFF, 0xFE, 0x00], Xattrs.Get(Path.Combine(target, "etc/conf"), "user.raw"));
        Assert.Equal(OldTime.UtcDateTime, Directory.GetLastWriteTimeUtc(Path.Combine(target, "etc")));
        Assert.Equal(OldTime.UtcDateTime, File.GetLastWriteTimeUtc(Path.Combine(target, "etc/conf")));
    }

    [Fact]
    public async Task Damaged_archives_fail_as_invalid_archives()
    {
        var garbage = new MemoryStream(Enumerable.Range(0, 2048).Select(i => (byte)(i * 7 % 251)).ToArray());
        var error = await Assert.ThrowsAsync<SbuildException>(() => Apply(garbage, _fixture.NewDirectory("t1")));
        Assert.Equal(ErrorCode.InvalidArchive, error.Code);

        var whole = Layer(w => w.WriteEntry(FileEntry("big", new string('x', 5000)))).ToArray();
        var truncated = new MemoryStream(whole[..(512 + 2000)]);
        error = await Assert.ThrowsAsync<SbuildException>(() => Apply(truncated, _fixture.NewDirectory("t2")));
        Assert.Equal(ErrorCode.InvalidArchive, error.Code);
        Assert.Contains("ends inside", error.Message);
    }

    private static Task Apply(Stream layer, string target) =>
        LayerApplier.ApplyAsync(layer, target, WhiteoutHandling.Delete, CancellationToken.None);

    private static MemoryStream Layer(Action<TarWriter> write)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true)) write(writer);
        tar.Position = 0;
        return tar;
    }

    private static PaxTarEntry FileEntry(string name, string content) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)), Mode = (UnixFileMode)0b110_100_100 };

    /// <summary>Paths below <paramref name="root"/>/<paramref name="dir"/>, relative to root, sorted.</summary>
    private static List<string> RelativeEntries(string root, string dir) =>
        Directory.EnumerateFileSystemEntries(Path.Combine(root, dir), "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p)).Order(StringComparer.Ordinal).ToList();
}
