using Sbuild.Snapshotter;
using Sbuild.TestSupport;
using static Sbuild.Snapshotter.Tests.TreeBuilder;

namespace Sbuild.Snapshotter.Tests;

/// <summary>
/// The behaviour every <see cref="ISnapshotter"/> (with its <see cref="IDiffer"/>) must show, with real mounts
/// (containerd's snapshots/testsuite idea). An implementation runs it by deriving and saying how to create itself.
/// </summary>
public abstract class SnapshotterConformanceTests : IDisposable
{
    protected SnapshotterConformanceTests()
    {
        Fixture = new SnapshotFixture();
        Snapshotter = CreateSnapshotter(Fixture.Root());
    }

    protected SnapshotFixture Fixture { get; }
    protected ISnapshotter Snapshotter { get; }

    protected abstract ISnapshotter CreateSnapshotter(string root);

    protected IDiffer CreateDiffer(ISnapshotter snapshotter) => Snapshotters.DifferOf(snapshotter, Fixture.NewDirectory("diff-mounts"));

    public void Dispose() => Fixture.Dispose();

    [Fact]
    public void Prepared_snapshot_without_parent_is_an_empty_writable_tree_and_commit_keeps_its_content()
    {
        Fixture.WithMounted(Snapshotter.Prepare("k", null), root =>
        {
            Assert.Empty(Directory.EnumerateFileSystemEntries(root));
            Write(root, "dir/file", "hello");
        });
        Snapshotter.Commit("base", "k");

        Assert.False(Snapshotter.Exists("k"));
        Assert.Equal(new SnapshotInfo("base", SnapshotKind.Committed, null, Snapshotter.Stat("base").Created), Snapshotter.Stat("base"));
        Fixture.WithMounted(Snapshotter.View("v", "base"), root => Assert.Equal("hello", Read(root, "dir/file")));
    }

    [Fact]
    public void Child_sees_the_parent_chain_and_its_own_changes_stay_out_of_the_parents()
    {
        Fixture.CommitLayer(Snapshotter, "l1", null, root => Write(root, "a", "1"));
        Fixture.CommitLayer(Snapshotter, "l2", "l1", root =>
        {
            Assert.Equal("1", Read(root, "a"));
            Write(root, "b", "2");
            Write(root, "a", "changed in l2");
        });

        Fixture.WithMounted(Snapshotter.Prepare("child", "l2"), root =>
        {
            Assert.Equal("changed in l2", Read(root, "a"));
            Assert.Equal("2", Read(root, "b"));
            Write(root, "c", "3");
        });
        Fixture.WithMounted(Snapshotter.View("view-l1", "l1"), root =>
        {
            Assert.Equal("1", Read(root, "a"));
            Assert.False(Exists(root, "b"));
        });
        Fixture.WithMounted(Snapshotter.View("view-l2", "l2"), root => Assert.False(Exists(root, "c")));
        Fixture.WithMounted(Snapshotter.Mounts("child"), root => Assert.Equal("3", Read(root, "c"))); // remount: changes kept
    }

    [Fact]
    public void Deleting_a_parent_file_hides_it_in_the_child_only()
    {
        Fixture.CommitLayer(Snapshotter, "base", null, root =>
        {
            Write(root, "gone", "x");
            Write(root, "dir/inner", "y");
        });
        Fixture.CommitLayer(Snapshotter, "deleted", "base", root =>
        {
            File.Delete(Path.Combine(root, "gone"));
            Directory.Delete(Path.Combine(root, "dir"), recursive: true);
        });

        Fixture.WithMounted(Snapshotter.View("after", "deleted"), root => Assert.Empty(Directory.EnumerateFileSystemEntries(root)));
        Fixture.WithMounted(Snapshotter.View("before", "base"), root =>
        {
            Assert.Equal("x", Read(root, "gone"));
            Assert.Equal("y", Read(root, "dir/inner"));
        });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Views_are_read_only(int parents)
    {
        string? parent = null;
        for (var i = 0; i < parents; i++)
        {
            Fixture.CommitLayer(Snapshotter, $"p{i}", parent, root => Write(root, $"f{i}", "x"));
            parent = $"p{i}";
        }
        Fixture.WithMounted(Snapshotter.View("view", parent), root =>
        {
            Assert.Equal(parents, Directory.EnumerateFileSystemEntries(root).Count());
            var error = Assert.ThrowsAny<IOException>(() => Write(root, "new", "x"));
            Assert.Contains("Read-only", error.Message, StringComparison.OrdinalIgnoreCase);
        });
        Assert.Equal(SnapshotKind.View, Snapshotter.Stat("view").Kind);
    }

    [Fact]
    public void Stat_and_list_report_kinds_and_parents()
    {
        Fixture.CommitLayer(Snapshotter, "base", null, _ => { });
        Snapshotter.Prepare("work", "base");
        Snapshotter.View("look", "base");

        var listed = Snapshotter.List().Select(s => (s.Key, s.Kind, s.Parent)).ToList();
        Assert.Equal([("base", SnapshotKind.Committed, null), ("look", SnapshotKind.View, "base"), ("work", SnapshotKind.Active, "base")], listed);
        Assert.True(Snapshotter.Exists("work"));
        Assert.False(Snapshotter.Exists("nothing"));
        Assert.Throws<SnapshotNotFoundException>(() => Snapshotter.Stat("nothing"));
    }

    [Fact]
    public void Misuse_is_refused_with_a_message_naming_the_snapshot()
    {
        Fixture.CommitLayer(Snapshotter, "base", null, _ => { });
        Snapshotter.Prepare("active", "base");
        Snapshotter.View("view", "base");

        Assert.Equal("active", Assert.Throws<SnapshotExistsException>(() => Snapshotter.Prepare("active", null)).Key);
        Assert.Equal("base", Assert.Throws<SnapshotExistsException>(() => Snapshotter.Prepare("base", null)).Key); // keys and names share one namespace
        Assert.Equal("missing", Assert.Throws<SnapshotNotFoundException>(() => Snapshotter.Prepare("x", "missing")).Key);
        Assert.Contains("\"active\"", Assert.Throws<InvalidOperationException>(() => Snapshotter.Prepare("y", "active")).Message);
        Assert.Contains("\"view\"", Assert.Throws<InvalidOperationException>(() => Snapshotter.Commit("z", "view")).Message);
        Assert.Equal("base", Assert.Throws<SnapshotExistsException>(() => Snapshotter.Commit("base", "active")).Key);
        Assert.Contains("\"base\"", Assert.Throws<InvalidOperationException>(() => Snapshotter.Remove("base")).Message);
        Assert.Throws<SnapshotNotFoundException>(() => Snapshotter.Remove("missing"));
        Assert.True(Snapshotter.Exists("active")); // the failed commit left it alone
    }

    [Fact]
    public void Remove_deletes_children_first_then_parents_and_leaves_nothing_behind()
    {
        Fixture.CommitLayer(Snapshotter, "base", null, root => Write(root, "f", "x"));
        Fixture.CommitLayer(Snapshotter, "top", "base", root => Write(root, "g", "y"));
        Snapshotter.Prepare("work", "top");

        Snapshotter.Remove("work");
        Snapshotter.Remove("top");
        Snapshotter.Remove("base");

        Assert.Empty(Snapshotter.List());
        var leftovers = Directory.EnumerateFileSystemEntries(Fixture.Root()).Select(Path.GetFileName)
            .Where(n => !n!.StartsWith("catalog.", StringComparison.Ordinal)).ToList();
        Assert.Empty(leftovers);
    }

    [Fact]
    public void A_second_instance_on_the_same_root_sees_the_same_snapshots()
    {
        Fixture.CommitLayer(Snapshotter, "base", null, root => Write(root, "f", "persisted"));
        var again = CreateSnapshotter(Fixture.Root());

        Assert.Equal(SnapshotKind.Committed, again.Stat("base").Kind);
        Fixture.WithMounted(again.View("v", "base"), root => Assert.Equal("persisted", Read(root, "f")));
    }

    [Fact]
    public void Concurrent_prepares_all_succeed_with_separate_trees()
    {
        Fixture.CommitLayer(Snapshotter, "base", null, _ => { });
        Parallel.For(0, 16, i => Snapshotter.Prepare($"k{i}", "base"));

        Assert.Equal(17, Snapshotter.List().Count);
        Fixture.WithMounted(Snapshotter.Mounts("k3"), root => Write(root, "only-in-3", "x"));
        Fixture.WithMounted(Snapshotter.Mounts("k4"), root => Assert.False(Exists(root, "only-in-3")));
    }

    [Fact]
    public async Task A_chain_of_64_layers_mounts_and_shows_every_layer()
    {
        const int Layers = 64;
        string? parent = null;
        for (var i = 0; i < Layers; i++)
        {
            var key = $"active-{i}";
            Snapshotter.Prepare(key, parent);
            // Written without mounting, through the differ, to keep the test fast: one small layer per snapshot.
            await ApplyLayerAsync(key, ("layer-" + i.ToString("D2"), $"{i}"), ("top", $"{i}"));
            Snapshotter.Commit($"layer-{i}", key);
            parent = $"layer-{i}";
        }

        Fixture.WithMounted(Snapshotter.Prepare("final", parent), root =>
        {
            Assert.Equal(Layers + 1, Directory.EnumerateFiles(root).Count());
            Assert.Equal("0", Read(root, "layer-00"));
            Assert.Equal("63", Read(root, "layer-63"));
            Assert.Equal("63", Read(root, "top")); // the newest layer wins
        });
    }

    [Fact]
    public async Task Apply_of_a_diff_reproduces_the_merged_tree_on_another_root()
    {
        Fixture.CommitLayer(Snapshotter, "l1", null, root =>
        {
            Write(root, "etc/config", "v1");
            Write(root, "etc/remove-me", "x");
            Write(root, "opt/app/old", "old");
            Write(root, "opt/app/kept-by-rename", "k");
            File.CreateSymbolicLink(Path.Combine(root, "link"), "etc/config");
            Directory.CreateDirectory(Path.Combine(root, "empty"));
        });
        Fixture.CommitLayer(Snapshotter, "l2", "l1", root =>
        {
            Write(root, "etc/config", "v2");
            File.Delete(Path.Combine(root, "etc/remove-me"));
            Directory.Delete(Path.Combine(root, "opt/app"), recursive: true);
            Write(root, "opt/app/new", "new");
            Write(root, "bin/tool", "#!/bin/sh\n");
            File.SetUnixFileMode(Path.Combine(root, "bin/tool"), (UnixFileMode)0b111_101_101 | UnixFileMode.SetUser);
            UnixFs.HardLink(Path.Combine(root, "bin/tool"), Path.Combine(root, "bin/tool-alias"));
            UnixFs.LChown(Path.Combine(root, "etc/config"), 1000, 1001);
        });

        var copy = CreateSnapshotter(Fixture.Root("copy"));
        var source = CreateDiffer(Snapshotter);
        var target = CreateDiffer(copy);
        string? parent = null;
        foreach (var layer in new[] { "l1", "l2" })
        {
            var diff = new MemoryStream();
            await source.WriteDiffAsync(layer, diff, LayerDiffOptions.Default, CancellationToken.None);
            diff.Position = 0;
            copy.Prepare(layer + "-active", parent);
            await target.ApplyAsync(layer + "-active", diff, CancellationToken.None);
            copy.Commit(layer, layer + "-active");
            parent = layer;
        }

        Fixture.WithMounted(Snapshotter.View("original", "l2"), original =>
            Fixture.WithMounted(copy.View("copied", "l2"), copied =>
                Assert.Empty(RootfsComparer.Compare(original, copied, new RootfsCompareOptions { ExpectedName = "original", ActualName = "copy" }))));
        Fixture.WithMounted(copy.View("check", "l2"), root =>
        {
            Assert.False(Exists(root, "etc/remove-me"));
            Assert.Equal(["new"], Directory.EnumerateFileSystemEntries(Path.Combine(root, "opt/app")).Select(Path.GetFileName));
        });
    }

    /// <summary>Applies a layer of small files built with System.Formats.Tar (an independent tar writer).</summary>
    private async Task ApplyLayerAsync(string key, params (string Name, string Content)[] files)
    {
        var tar = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(tar, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true))
            foreach (var (name, content) in files)
                writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)),
                    Mode = (UnixFileMode)0b110_100_100,
                });
        tar.Position = 0;
        await CreateDiffer(Snapshotter).ApplyAsync(key, tar, CancellationToken.None);
    }
}

public sealed class OverlaySnapshotterConformanceTests : SnapshotterConformanceTests
{
    protected override ISnapshotter CreateSnapshotter(string root) => new OverlaySnapshotter(root);
}

public sealed class NativeSnapshotterConformanceTests : SnapshotterConformanceTests
{
    protected override ISnapshotter CreateSnapshotter(string root) => new NativeSnapshotter(root);
}
