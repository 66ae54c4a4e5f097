using Sbuild.Core;
using Sbuild.Snapshotter;
using Sbuild.TestSupport;
using static Sbuild.Snapshotter.Tests.TreeBuilder;

namespace Sbuild.Snapshotter.Tests;

/// <summary>What is particular to the copy snapshotter: what its copies keep, how a failed copy ends, what it records.</summary>
public sealed class NativeSnapshotterTests : IDisposable
{
    private readonly SnapshotFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void A_prepared_snapshot_is_a_separate_copy_of_the_parent_tree_with_all_its_metadata()
    {
        var snapshotter = new NativeSnapshotter(_fixture.Root());
        var time = new DateTimeOffset(2022, 3, 4, 5, 6, 7, TimeSpan.Zero).AddTicks(1234567);
        _fixture.CommitLayer(snapshotter, "base", null, root =>
        {
            File.SetUnixFileMode(Write(root, "bin/su", "setuid"), (UnixFileMode)0b111_101_101 | UnixFileMode.SetUser);
            UnixFs.HardLink(Path.Combine(root, "bin/su"), Path.Combine(root, "bin/su-alias"));
            Directory.CreateDirectory(Path.Combine(root, "tmp"));
            File.SetUnixFileMode(Path.Combine(root, "tmp"), (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit);
            UnixFs.LChown(Write(root, "home/user/file", "owned"), 1000, 1001);
            File.CreateSymbolicLink(Path.Combine(root, "link"), "bin/su");
            UnixFs.LChown(Path.Combine(root, "link"), 7, 8);
            Directory.CreateDirectory(Path.Combine(root, "dev"));
            UnixFs.MakeDevice(Path.Combine(root, "dev/null"), FileKind.CharDevice, 1, 3, (UnixFileMode)0b110_110_110);
            UnixFs.MakeDevice(Path.Combine(root, "dev/loop0"), FileKind.BlockDevice, 7, 0, (UnixFileMode)0b110_110_000);
            UnixFs.MakeFifo(Path.Combine(root, "dev/fifo"), (UnixFileMode)0b110_000_000);
            Xattrs.Set(Write(root, "attributed", "x"), "user.raw", [0xFF, 0x00, 0x41]);
            Xattrs.Set(Path.Combine(root, "home"), "user.dir", "d"u8);
            Write(root, "big", new string('b', 3_000_000));
            File.SetLastWriteTimeUtc(Path.Combine(root, "attributed"), time.UtcDateTime);
            Directory.SetLastWriteTimeUtc(Path.Combine(root, "home/user"), time.UtcDateTime);
        });

        _fixture.WithMounted(snapshotter.Prepare("child", "base"), child =>
        {
            var parent = snapshotter.Tree("base");
            Assert.Empty(RootfsComparer.Compare(parent, child, new RootfsCompareOptions { ExpectedName = "parent", ActualName = "copy" }));
            Assert.Equal([0xFF, 0x00, 0x41], Xattrs.Get(Path.Combine(child, "attributed"), "user.raw"));
            Assert.Equal("d"u8.ToArray(), Xattrs.Get(Path.Combine(child, "home"), "user.dir"));
            foreach (var path in new[] { "attributed", "home/user", "link", "bin/su" })
            {
                var (original, copy) = (Posix.LStat(Path.Combine(parent, path)), Posix.LStat(Path.Combine(child, path)));
                Assert.Equal((original.MTimeSec, original.MTimeNsec), (copy.MTimeSec, copy.MTimeNsec));
                Assert.NotEqual(original.Inode, copy.Inode);
            }
            Assert.Equal(time.UtcDateTime, File.GetLastWriteTimeUtc(Path.Combine(child, "attributed")));

            File.AppendAllText(Path.Combine(child, "bin/su-alias"), " changed");
            Assert.Equal("setuid changed", Read(child, "bin/su")); // the copy's hard link group is its own
        });
        Assert.Equal("setuid", Read(snapshotter.Tree("base"), "bin/su"));
    }

    [Fact]
    public async Task A_change_through_one_name_of_a_parent_hard_link_group_reaches_every_name()
    {
        // Unlike overlayfs, which copies up the one name it is changed through and leaves the others with the old file.
        var snapshotter = new NativeSnapshotter(_fixture.Root());
        _fixture.CommitLayer(snapshotter, "base", null, root =>
        {
            Write(root, "tool", "t", OldTime);
            UnixFs.HardLink(Path.Combine(root, "tool"), Path.Combine(root, "alias"));
        });
        _fixture.CommitLayer(snapshotter, "child", "base", root =>
            File.SetUnixFileMode(Path.Combine(root, "tool"), (UnixFileMode)0b111_101_101 | UnixFileMode.SetUser));

        var entries = LayerTarInspection.Entries(await DiffAsync(new NativeDiffer(snapshotter), "child"));

        Assert.Equal([("alias", System.Formats.Tar.TarEntryType.RegularFile), ("tool", System.Formats.Tar.TarEntryType.HardLink)], entries.Select(e => (e.Name, e.Type)));
        Assert.All(entries, e => Assert.True(e.Mode.HasFlag(UnixFileMode.SetUser)));
    }

    [Fact]
    public void Views_bind_the_parent_tree_read_only_without_copying_it()
    {
        var snapshotter = new NativeSnapshotter(_fixture.Root());
        _fixture.CommitLayer(snapshotter, "base", null, root => Write(root, "f", "x"));

        Assert.Equal([new Mount("bind", snapshotter.Tree("base"), ["rbind", "ro"])], snapshotter.View("look", "base"));
        Assert.Equal(0, snapshotter.Usage("look"));
    }

    [Fact]
    public void A_copy_that_fails_leaves_neither_a_snapshot_nor_its_files()
    {
        // A 4 MB tmpfs holds the 3 MB parent but not a second copy of it: the copy fails with ENOSPC half way.
        var root = _fixture.NewDirectory("small");
        Mounter.Mount(new Mount("tmpfs", "tmpfs", ["size=4m"]), root);
        try
        {
            using var snapshotter = new NativeSnapshotter(root); // disposed before the unmount: its catalog is open there
            _fixture.CommitLayer(snapshotter, "base", null, tree =>
            {
                Write(tree, "a", new string('a', 1_500_000));
                Write(tree, "b", new string('b', 1_500_000));
            });

            var error = Assert.ThrowsAny<Exception>(() => snapshotter.Prepare("child", "base"));

            Assert.Contains("No space left on device", error.Message);
            Assert.False(snapshotter.Exists("child"));
            var directories = Directory.EnumerateDirectories(root).Select(Path.GetFileName).ToList();
            Assert.Equal([Path.GetFileName(Path.GetDirectoryName(snapshotter.Tree("base")))], directories);
        }
        finally
        {
            Mounter.Unmount(root);
        }
    }

    [Fact]
    public async Task The_copy_record_only_saves_work_the_layer_is_the_same_without_it()
    {
        var snapshotter = new NativeSnapshotter(_fixture.Root());
        var differ = new NativeDiffer(snapshotter);
        _fixture.CommitLayer(snapshotter, "base", null, root =>
        {
            Write(root, "etc/a", "a", OldTime);
            Write(root, "etc/b", "b", OldTime);
            Write(root, "opt/app/bin", "bin", OldTime);
        });
        _fixture.CommitLayer(snapshotter, "child", "base", root =>
        {
            Write(root, "etc/a", "changed");
            File.Delete(Path.Combine(root, "etc/b"));
            Directory.Move(Path.Combine(root, "opt/app"), Path.Combine(root, "opt/moved"));
        });
        var withRecord = await DiffAsync(differ, "child");

        File.Delete(Path.Combine(Path.GetDirectoryName(snapshotter.Tree("child"))!, "copy-record"));

        Assert.Equal(withRecord, await DiffAsync(differ, "child"));
        Assert.Equal(["etc/", "etc/.wh.b", "etc/a", "opt/", "opt/.wh.app", "opt/moved/", "opt/moved/bin"],
            LayerTarInspection.Entries(withRecord).Select(e => e.Name));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void File_copies_are_exact_within_a_file_system_and_across_two(bool acrossFileSystems)
    {
        var source = _fixture.NewDirectory("source");
        if (acrossFileSystems) Mounter.Mount(new Mount("tmpfs", "tmpfs", ["size=8m"]), source); // copy_file_range refuses: read/write loop
        try
        {
            var data = Enumerable.Range(0, 300_001).Select(i => (byte)(i * 7 % 253)).ToArray();
            File.WriteAllBytes(Path.Combine(source, "data"), data);
            var target = Path.Combine(_fixture.NewDirectory("target"), "data");

            FileClone.Copy(Path.Combine(source, "data"), target);

            Assert.Equal(data, File.ReadAllBytes(target));
            Assert.Throws<SbuildException>(() => FileClone.Copy(Path.Combine(source, "data"), target)); // never over an existing file
        }
        finally
        {
            if (acrossFileSystems) Mounter.Unmount(source);
        }
    }

    private static async Task<byte[]> DiffAsync(IDiffer differ, string key)
    {
        var output = new MemoryStream();
        await differ.WriteDiffAsync(key, output, LayerDiffOptions.Default, CancellationToken.None);
        return output.ToArray();
    }
}
