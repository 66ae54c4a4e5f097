using Sbuild.Snapshotter;
using static Sbuild.Snapshotter.Tests.TreeBuilder;

namespace Sbuild.Snapshotter.Tests;

/// <summary>What is particular to the overlay implementation: the mount data it hands out and long layer chains.</summary>
public sealed class OverlaySnapshotterTests : IDisposable
{
    private readonly SnapshotFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void Prepare_returns_one_overlay_mount_with_the_parent_chain_top_first_in_short_numbered_directories()
    {
        var snapshotter = new OverlaySnapshotter(_fixture.Root());
        _fixture.CommitLayer(snapshotter, "l1", null, _ => { });
        _fixture.CommitLayer(snapshotter, "l2", "l1", _ => { });
        _fixture.CommitLayer(snapshotter, "l3", "l2", _ => { });

        var mount = Assert.Single(snapshotter.Prepare("work", "l3"));

        Assert.Equal(("overlay", "overlay"), (mount.Type, mount.Source));
        Assert.Contains("lowerdir=" + string.Join(':', snapshotter.UpperDir("l3"), snapshotter.UpperDir("l2"), snapshotter.UpperDir("l1")), mount.Options);
        Assert.Contains("upperdir=" + snapshotter.UpperDir("work"), mount.Options);
        Assert.Contains(mount.Options, o => o.StartsWith("workdir=" + snapshotter.Root + "/", StringComparison.Ordinal));
        if (File.Exists("/sys/module/overlay/parameters/index")) Assert.Contains("index=off", mount.Options);
        foreach (var name in new[] { "l1", "l2", "l3", "work" })
        {
            var dir = Path.GetRelativePath(snapshotter.Root, snapshotter.UpperDir(name));
            Assert.Matches(@"^\d{1,3}/fs$", dir);
        }
    }

    [Fact]
    public void Snapshot_without_parent_is_a_bind_mount_of_its_own_directory()
    {
        var snapshotter = new OverlaySnapshotter(_fixture.Root());
        var mounts = snapshotter.Prepare("k", null);

        Assert.Equal([new Mount("bind", snapshotter.UpperDir("k"), ["rbind", "rw"])], mounts);
        _fixture.WithMounted(mounts, root => Write(root, "f", "x"));
        Assert.Equal("x", Read(snapshotter.UpperDir("k"), "f"));
    }

    [Fact]
    public void Layer_paths_longer_than_a_page_of_mount_options_still_mount()
    {
        // Two 200-character directory levels make each lowerdir path ~430 bytes: 16 layers need ~6.9 KB of options.
        // (A store root cannot be much deeper: SQLite opens no database whose path is 512 bytes or longer.)
        var deepRoot = Path.Combine(_fixture.Root("deep"), new string('a', 200), new string('b', 200));
        using var snapshotter = new OverlaySnapshotter(deepRoot);
        string? parent = null;
        for (var i = 0; i < 16; i++)
        {
            var key = $"active-{i}";
            snapshotter.Prepare(key, parent);
            Write(snapshotter.UpperDir(key), $"file-{i}", $"{i}");
            snapshotter.Commit($"layer-{i}", key);
            parent = $"layer-{i}";
        }

        var mounts = snapshotter.Prepare("top", parent);
        Assert.True(string.Join(',', mounts[0].Options).Length > Environment.SystemPageSize, "the test must exceed one page of options");
        _fixture.WithMounted(mounts, root =>
        {
            for (var i = 0; i < 16; i++) Assert.Equal($"{i}", Read(root, $"file-{i}"));
        });
    }

    [Fact]
    public void A_chain_of_250_layers_mounts_although_its_layer_paths_take_more_than_a_page()
    {
        // 250 layers under this root take ~12 KB as absolute paths, ~4.5 KB as /proc/self/fd/N (the earlier workaround).
        var workingDirectory = Environment.CurrentDirectory;
        var snapshotter = new OverlaySnapshotter(Path.Combine(_fixture.Root("deep"), new string('r', 100)));
        string? parent = null;
        for (var i = 0; i < 250; i++)
        {
            snapshotter.Prepare($"active-{i}", parent);
            Write(snapshotter.UpperDir($"active-{i}"), $"file-{i}", $"{i}");
            snapshotter.Commit($"layer-{i}", $"active-{i}");
            parent = $"layer-{i}";
        }

        var mounts = snapshotter.Prepare("top", parent);
        Assert.True(string.Join(',', mounts[0].Options).Length > 2 * Environment.SystemPageSize, "the test must exceed two pages of options");
        _fixture.WithMounted(mounts, root =>
        {
            Assert.Equal(250, Directory.EnumerateFiles(root).Count());
            Assert.Equal("0", Read(root, "file-0"));
            Write(root, "written", "through the upper directory");
        });
        Assert.Equal("through the upper directory", Read(snapshotter.UpperDir("top"), "written"));
        Assert.Equal(workingDirectory, Environment.CurrentDirectory); // the mount's chdir stayed on its own thread
    }

    [Fact]
    public void Chains_deeper_than_overlayfs_allows_are_refused_with_the_way_out()
    {
        var snapshotter = new OverlaySnapshotter(_fixture.Root());
        string? parent = null;
        for (var i = 0; i <= OverlaySnapshotter.MaxLowerLayers; i++)
        {
            snapshotter.Prepare($"active-{i}", parent);
            snapshotter.Commit($"layer-{i}", $"active-{i}");
            parent = $"layer-{i}";
        }

        var error = Assert.Throws<Sbuild.Core.SbuildException>(() => snapshotter.Prepare("top", parent));
        Assert.Contains("501 layers", error.Message);
        Assert.Contains("SBUILD_SNAPSHOTTER=native", error.Message);
    }

    [Fact]
    public async Task Overlay_bookkeeping_xattrs_stay_out_of_the_layer()
    {
        var snapshotter = new OverlaySnapshotter(_fixture.Root());
        _fixture.CommitLayer(snapshotter, "base", null, root => Write(root, "dir/old", "x"));
        _fixture.CommitLayer(snapshotter, "child", "base", root =>
        {
            Directory.Delete(Path.Combine(root, "dir"), recursive: true);
            Directory.CreateDirectory(Path.Combine(root, "dir"));
            Write(root, "dir/new", "y");
        });
        Assert.NotNull(Xattrs.Get(Path.Combine(snapshotter.UpperDir("child"), "dir"), "trusted.overlay.opaque")); // the premise

        var output = new MemoryStream();
        await new OverlayDiffer(snapshotter, _fixture.NewDirectory("mounts")).WriteDiffAsync("child", output, LayerDiffOptions.Default, CancellationToken.None);
        var entries = LayerTarInspection.Entries(output.ToArray());

        Assert.Equal(["dir/", "dir/.wh.old", "dir/new"], entries.Select(e => e.Name));
        Assert.DoesNotContain(entries.SelectMany(e => e.PaxRecords.Keys), k => k.Contains("overlay", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Layers_can_only_be_applied_to_active_snapshots()
    {
        var snapshotter = new OverlaySnapshotter(_fixture.Root());
        _fixture.CommitLayer(snapshotter, "base", null, _ => { });
        var differ = new OverlayDiffer(snapshotter, _fixture.NewDirectory("mounts"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => differ.ApplyAsync("base", new MemoryStream(), CancellationToken.None));
        Assert.Contains("committed", error.Message);
    }
}
