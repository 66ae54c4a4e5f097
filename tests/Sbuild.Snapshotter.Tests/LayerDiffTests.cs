using System.Formats.Tar;
using System.Text;
using Sbuild.Snapshotter;
using Sbuild.TestSupport;
using static Sbuild.Snapshotter.Tests.TreeBuilder;

namespace Sbuild.Snapshotter.Tests;

/// <summary>Layer tars written from real overlay upper directories, checked with System.Formats.Tar and GNU tar.</summary>
public sealed class LayerDiffTests : IDisposable
{
    private readonly SnapshotFixture _fixture = new();
    private readonly OverlaySnapshotter _snapshotter;
    private readonly OverlayDiffer _differ;

    public LayerDiffTests()
    {
        _snapshotter = new OverlaySnapshotter(_fixture.Root());
        _differ = new OverlayDiffer(_snapshotter);
    }

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task Deleting_a_parent_file_gives_a_whiteout_entry()
    {
        _fixture.CommitLayer(_snapshotter, "base", null, root =>
        {
            Write(root, "gone", "x");
            Write(root, "dir/kept", "y");
        });
        _fixture.CommitLayer(_snapshotter, "child", "base", root => File.Delete(Path.Combine(root, "gone")));

        var tar = await DiffAsync("child");

        var entry = Assert.Single(LayerTarInspection.Entries(tar));
        Assert.Equal((".wh.gone", TarEntryType.RegularFile, 0L), (entry.Name, entry.Type, entry.Length));
        Assert.Equal([".wh.gone"], (await LayerTarInspection.GnuTarListingAsync(tar, _fixture.NewDirectory("listing"))).Keys);
    }

    [Fact]
    public async Task Replacing_a_parent_directory_gives_the_directory_and_an_opaque_marker()
    {
        _fixture.CommitLayer(_snapshotter, "base", null, root =>
        {
            Write(root, "dir/a", "a");
            Write(root, "dir/b", "b");
        });
        _fixture.CommitLayer(_snapshotter, "child", "base", root =>
        {
            Directory.Delete(Path.Combine(root, "dir"), recursive: true);
            Write(root, "dir/c", "c");
        });

        var names = LayerTarInspection.Entries(await DiffAsync("child")).Select(e => (e.Name, e.Type)).ToList();

        Assert.Equal([("dir/", TarEntryType.Directory), ("dir/.wh..wh..opq", TarEntryType.RegularFile), ("dir/c", TarEntryType.RegularFile)], names);
    }

    [Fact]
    public async Task Entries_are_sorted_by_utf8_bytes_with_parents_first()
    {
        // "a-b" < "a.c" < "a/x" bytewise ('-' 0x2D, '.' 0x2E, '/' 0x2F); U+E000 (EE 80 80) sorts before U+1F600 (F0 …)
        // in UTF-8 although its UTF-16 code unit is greater than the surrogate D83D.
        string[] files = ["a/x", "a-b", "a.c", "B", "b", "\uE000", "\U0001F600", "é/z", "a/x2/y"];
        _fixture.CommitLayer(_snapshotter, "tree", null, root =>
        {
            foreach (var f in files) Write(root, f, f);
        });

        var names = LayerTarInspection.Entries(await DiffAsync("tree")).Select(e => e.Name.TrimEnd('/')).ToList();

        var expected = files.Concat(["a", "é", "a/x2"]).Order(Comparer<string>.Create(CompareUtf8Bytes)).ToList();
        Assert.Equal(expected, names);
        Assert.True(names.IndexOf("a") < names.IndexOf("a/x") && names.IndexOf("a/x2") < names.IndexOf("a/x2/y"));
    }

    [Fact]
    public async Task Entries_keep_numeric_owners_modes_links_devices_and_xattrs()
    {
        byte[] binary = [0x01, 0x00, 0x80, 0xFF, 0xC3]; // not UTF-8: must survive as raw bytes
        _fixture.CommitLayer(_snapshotter, "tree", null, root =>
        {
            UnixFs.LChown(Write(root, "owned", "o"), 1234, 5678);
            File.SetUnixFileMode(Write(root, "setuid", "s"), (UnixFileMode)0b111_101_101 | UnixFileMode.SetUser);
            File.SetUnixFileMode(Write(root, "setgid", "s"), (UnixFileMode)0b111_101_101 | UnixFileMode.SetGroup);
            Directory.CreateDirectory(Path.Combine(root, "tmp"));
            File.SetUnixFileMode(Path.Combine(root, "tmp"), (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit);
            Write(root, "hard-1", "shared inode");
            UnixFs.HardLink(Path.Combine(root, "hard-1"), Path.Combine(root, "hard-2"));
            File.CreateSymbolicLink(Path.Combine(root, "sym"), "../some/target");
            UnixFs.MakeDevice(Path.Combine(root, "null"), FileKind.CharDevice, 1, 3, (UnixFileMode)0b110_110_110);
            UnixFs.MakeDevice(Path.Combine(root, "loop"), FileKind.BlockDevice, 7, 300, (UnixFileMode)0b110_110_000);
            UnixFs.MakeFifo(Path.Combine(root, "fifo"), (UnixFileMode)0b110_100_100);
            var attributed = Write(root, "attributed", "x");
            Xattrs.Set(attributed, "user.text", "hello"u8);
            Xattrs.Set(attributed, "user.binary", binary);
        });

        var tar = await DiffAsync("tree");
        var entries = LayerTarInspection.Entries(tar).ToDictionary(e => e.Name);

        Assert.All(entries.Values, e => Assert.Equal(("", ""), (e.UserName, e.GroupName)));
        Assert.Equal((1234, 5678), (entries["owned"].Uid, entries["owned"].Gid));
        Assert.Equal(0b111_101_101 | (int)UnixFileMode.SetUser, (int)entries["setuid"].Mode);
        Assert.Equal(0b111_101_101 | (int)UnixFileMode.SetGroup, (int)entries["setgid"].Mode);
        Assert.Equal((TarEntryType.Directory, 0b111_111_111 | (int)UnixFileMode.StickyBit), (entries["tmp/"].Type, (int)entries["tmp/"].Mode));
        Assert.Equal((TarEntryType.RegularFile, 12L), (entries["hard-1"].Type, entries["hard-1"].Length));
        Assert.Equal((TarEntryType.HardLink, "hard-1"), (entries["hard-2"].Type, entries["hard-2"].LinkName));
        Assert.Equal((TarEntryType.SymbolicLink, "../some/target"), (entries["sym"].Type, entries["sym"].LinkName));
        Assert.Equal((TarEntryType.CharacterDevice, 1, 3), (entries["null"].Type, entries["null"].DeviceMajor, entries["null"].DeviceMinor));
        Assert.Equal((TarEntryType.BlockDevice, 7, 300), (entries["loop"].Type, entries["loop"].DeviceMajor, entries["loop"].DeviceMinor));
        Assert.Equal(TarEntryType.Fifo, entries["fifo"].Type);
        Assert.Equal("hello", entries["attributed"].PaxRecords["SCHILY.xattr.user.text"]);

        var listing = await LayerTarInspection.GnuTarListingAsync(tar, _fixture.NewDirectory("listing"));
        Assert.StartsWith("-rw-r--r-- 1234/5678 ", listing["owned"]);
        Assert.StartsWith("-rwsr-xr-x 0/0 ", listing["setuid"]);
        Assert.StartsWith("drwxrwxrwt 0/0 ", listing["tmp/"]);
        Assert.StartsWith("h", listing["hard-2"]);
        Assert.EndsWith("hard-2 link to hard-1", listing["hard-2"]);
        Assert.EndsWith("sym -> ../some/target", listing["sym"]);
        Assert.Matches(@"^crw-rw-rw- 0/0 +1,3 ", listing["null"]);
        Assert.Matches(@"^brw-rw---- 0/0 +7,300 ", listing["loop"]);
        Assert.StartsWith("prw-r--r-- ", listing["fifo"]);

        // GNU tar extracts the binary xattr byte for byte: the PAX record holds the raw value.
        var extracted = _fixture.NewDirectory("extracted");
        var tarPath = Path.Combine(_fixture.NewDirectory("gnu"), "layer.tar");
        await File.WriteAllBytesAsync(tarPath, tar);
        await ProcessRunner.RunAsync(Tools.Tar, ["--xattrs", "--xattrs-include=user.*", "-xf", tarPath, "-C", extracted, "attributed"], CancellationToken.None);
        Assert.Equal(binary, Xattrs.Get(Path.Combine(extracted, "attributed"), "user.binary"));
    }

    [Fact]
    public async Task Overlay_bookkeeping_xattrs_stay_out_of_the_layer()
    {
        _fixture.CommitLayer(_snapshotter, "base", null, root => Write(root, "dir/old", "x"));
        _fixture.CommitLayer(_snapshotter, "child", "base", root =>
        {
            Directory.Delete(Path.Combine(root, "dir"), recursive: true);
            Directory.CreateDirectory(Path.Combine(root, "dir"));
        });
        Assert.NotNull(Xattrs.Get(Path.Combine(_snapshotter.UpperDir("child"), "dir"), "trusted.overlay.opaque")); // the premise

        var entries = LayerTarInspection.Entries(await DiffAsync("child"));

        Assert.DoesNotContain(entries.SelectMany(e => e.PaxRecords.Keys), k => k.Contains("overlay", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Source_date_epoch_clamps_times_so_equal_content_built_at_different_times_gives_identical_bytes()
    {
        var epoch = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        foreach (var (name, time) in new[] { ("first", new DateTimeOffset(2023, 5, 1, 10, 0, 0, TimeSpan.Zero)), ("second", new DateTimeOffset(2024, 7, 9, 8, 30, 0, TimeSpan.Zero)) })
        {
            _fixture.CommitLayer(_snapshotter, name, null, root =>
            {
                Write(root, "app/main", "content", time);
                Write(root, "app/ancient", "old", OldTime);
                Directory.SetLastWriteTimeUtc(Path.Combine(root, "app"), time.UtcDateTime);
            });
        }
        var clamped = new LayerDiffOptions { SourceDateEpoch = epoch };

        var first = await DiffAsync("first", clamped);
        var second = await DiffAsync("second", clamped);

        Assert.Equal(first, second);
        Assert.NotEqual(await DiffAsync("first"), await DiffAsync("second")); // the premise: unclamped times differ
        var times = LayerTarInspection.Entries(first).ToDictionary(e => e.Name, e => e.ModificationTime);
        Assert.Equal(epoch, times["app/main"]);
        Assert.Equal(epoch, times["app/"]);
        Assert.Equal(OldTime, times["app/ancient"]); // earlier times are kept
    }

    [Fact]
    public async Task Long_names_and_big_owner_ids_use_pax_records_that_other_readers_understand()
    {
        var longPath = string.Join('/', Enumerable.Range(0, 6).Select(i => new string((char)('a' + i), 40))) + "/file";
        var longTarget = new string('t', 150);
        _fixture.CommitLayer(_snapshotter, "tree", null, root =>
        {
            UnixFs.LChown(Write(root, longPath, "deep"), 3_000_000, 4_000_000);
            File.CreateSymbolicLink(Path.Combine(root, "s"), longTarget);
        });

        var tar = await DiffAsync("tree");
        var entries = LayerTarInspection.Entries(tar).ToDictionary(e => e.Name);

        Assert.Equal((3_000_000, 4_000_000), (entries[longPath].Uid, entries[longPath].Gid));
        Assert.Equal(longTarget, entries["s"].LinkName);
        var listing = await LayerTarInspection.GnuTarListingAsync(tar, _fixture.NewDirectory("listing"));
        Assert.StartsWith("-rw-r--r-- 3000000/4000000 ", listing[longPath]);
        // Reproducible PAX header names: no process id in them (System.Formats.Tar writes PaxHeaders.<pid>).
        Assert.DoesNotContain($"PaxHeaders.{Environment.ProcessId}", Encoding.ASCII.GetString(tar));
        Assert.Contains("PaxHeaders.0/", Encoding.ASCII.GetString(tar));
    }

    private async Task<byte[]> DiffAsync(string key, LayerDiffOptions? options = null)
    {
        var output = new MemoryStream();
        await _differ.WriteDiffAsync(key, output, options ?? LayerDiffOptions.Default, CancellationToken.None);
        return output.ToArray();
    }

    private static int CompareUtf8Bytes(string? a, string? b) =>
        Encoding.UTF8.GetBytes(a!).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b!));
}
