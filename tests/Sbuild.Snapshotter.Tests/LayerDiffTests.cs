using System.Formats.Tar;
using System.Text;
using Sbuild.Snapshotter;
using Sbuild.TestSupport;
using static Sbuild.Snapshotter.Tests.TreeBuilder;

namespace Sbuild.Snapshotter.Tests;

/// <summary>
/// Layer tars written by each snapshotter's differ from real snapshots (mounted and changed), checked with
/// System.Formats.Tar and GNU tar. Every differ must pass the same tests.
/// </summary>
public abstract class LayerDiffTests : IDisposable
{
    private readonly SnapshotFixture _fixture = new();
    private readonly ISnapshotter _snapshotter;
    private readonly IDiffer _differ;

    protected LayerDiffTests(SnapshotterKind kind)
    {
        _snapshotter = Snapshotters.Open(kind, _fixture.Root());
        _differ = Snapshotters.DifferOf(_snapshotter, _fixture.NewDirectory("diff-mounts"));
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
    public async Task Replacing_a_parent_directory_gives_whiteouts_for_what_the_new_one_lacks()
    {
        // As BuildKit's overlay differ writes it: no opaque marker (overlayfs sets one or not depending on how the
        // directory came to be, which a layer must not depend on), a whiteout for each parent entry not there any more.
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

        Assert.Equal([("dir/", TarEntryType.Directory), ("dir/.wh.a", TarEntryType.RegularFile), ("dir/.wh.b", TarEntryType.RegularFile), ("dir/c", TarEntryType.RegularFile)], names);
    }

    [Fact]
    public async Task Changes_that_leave_an_entry_as_it_was_are_no_changes()
    {
        _fixture.CommitLayer(_snapshotter, "base", null, root =>
        {
            File.SetUnixFileMode(Write(root, "dir/same-mode", "x", OldTime), (UnixFileMode)0b110_100_100);
            Write(root, "dir/rewritten", "same content", OldTime);
            Directory.SetLastWriteTimeUtc(Path.Combine(root, "dir"), OldTime.UtcDateTime);
        });
        _fixture.CommitLayer(_snapshotter, "child", "base", root =>
        {
            File.SetUnixFileMode(Path.Combine(root, "dir/same-mode"), (UnixFileMode)0b110_100_100); // overlayfs copies it up
            Write(root, "dir/rewritten", "same content", OldTime); // rewritten with the same bytes and time
        });

        var output = new MemoryStream();
        await _differ.WriteDiffAsync("child", output, LayerDiffOptions.Default, CancellationToken.None);
        Assert.Empty(LayerTarInspection.Entries(output.ToArray()));
    }

    [Fact]
    public async Task A_changed_file_comes_with_its_parent_directories_as_they_are_now()
    {
        _fixture.CommitLayer(_snapshotter, "base", null, root => Write(root, "a/b/file", "old", OldTime));
        _fixture.CommitLayer(_snapshotter, "child", "base", root =>
        {
            Write(root, "a/b/file", "new content");
            File.SetUnixFileMode(Path.Combine(root, "a"), (UnixFileMode)0b111_000_000);
        });

        var entries = LayerTarInspection.Entries(await DiffAsync("child"));

        Assert.Equal(["a/", "a/b/", "a/b/file"], entries.Select(e => e.Name));
        Assert.Equal((UnixFileMode)0b111_000_000, entries[0].Mode);
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

public sealed class OverlayLayerDiffTests() : LayerDiffTests(SnapshotterKind.Overlay);

public sealed class NativeLayerDiffTests() : LayerDiffTests(SnapshotterKind.Native);
