using Sbuild.Snapshotter;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// The two snapshotters end to end: the same Dockerfiles built with overlay snapshots and with copies give the same
/// image IDs; a store on overlayfs (a build inside a container) falls back to copies by itself, says so, and still gives
/// the same image; a store can switch between them; a chain of 250 layers builds.
/// </summary>
public sealed class SnapshotterTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    /// <summary>SOURCE_DATE_EPOCH of every build here (2020-09-13): what steps write gets this time in both stores.</summary>
    private const long Epoch = 1_600_000_000;

    private static readonly Dictionary<string, string> Dockerfiles = new(StringComparer.Ordinal)
    {
        ["deletes, renames and replaced directories"] = """
            FROM base
            RUN mkdir -p /opt/app/sub && echo a > /opt/app/a && echo b > /opt/app/sub/b && echo c > /etc/conf
            RUN rm /etc/group && mv /etc/conf /etc/conf.txt && mv /opt/app /opt/application
            RUN rm -r /opt/application/sub && echo file > /opt/application/sub && mkdir -p /tmp/build/out && echo x > /tmp/build/out/f && mv /tmp/build/out /srv
            RUN rm -rf /srv && mkdir /srv && echo new > /srv/new && rm -r /data/dir && echo was-a-dir > /data/dir
            RUN rm /data/file && mkdir /data/file && echo inner > /data/file/inner && rm -r /data/replaced && mkdir /data/replaced
            """,
        ["modes, owners, links and devices"] = """
            FROM base
            RUN echo data > /data/tool && chmod 755 /data/tool && ln /data/tool /data/tool-link && ln -s tool /data/tool-sym && chmod u+s /data/tool
            RUN chown -h 1000:1000 /data/tool-sym && chown 1000:1000 /data && chmod 1777 /data && chmod 644 /etc/passwd && chmod g+s /data/file
            RUN mknod /data/null c 1 3 && mkfifo /data/fifo && rm /data/tool-link && ln /data/tool /data/again && chmod 4755 /bin/busybox
            RUN chmod 644 /data/kept-attributes && touch -d @0 /etc/group
            """,
        ["xattrs of the base image"] = """
            FROM base
            RUN mv /data/attributed /data/renamed && chmod 600 /data/kept-attributes && mkdir /data/moved && mv /data/dir/* /data/moved/
            RUN cp -a /data/renamed /data/copied && rm -r /data/dir
            """,
    };

    // Not among them: changing a file in place through one name of a hard link group an earlier step made. overlayfs
    // copies that name up alone, so the other names keep the old file; a copy keeps the group, so all of them change.
    public static TheoryData<string> Cases => [.. Dockerfiles.Keys, "three-stage build"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Overlay_and_copy_snapshots_build_the_same_image(string name)
    {
        using var stores = new TempDirectory("sbuild-snapshotters-");
        using var context = name == "three-stage build" ? ThreeStageBuildTests.CreateContext() : new TempDirectory("sbuild-snapctx-");
        if (name != "three-stage build") File.WriteAllText(context.Combine("Dockerfile"), Dockerfiles[name]);

        var overlay = await BuildAsync(stores.Combine("overlay"), context.Path, "overlay");
        var native = await BuildAsync(stores.Combine("native"), context.Path, "native");

        Assert.Equal(overlay.ImageId, native.ImageId);
        Assert.True(Directory.Exists(stores.Combine("overlay", "snapshots")) && !Directory.Exists(stores.Combine("overlay", "snapshots-native")));
        Assert.True(Directory.Exists(stores.Combine("native", "snapshots-native")) && !Directory.Exists(stores.Combine("native", "snapshots")));
        Assert.DoesNotContain("copy snapshotter", overlay.Progress + native.Progress); // forced: no probe, no notice
        var layers = new Sbuild.Core.ImageStore(stores.Combine("native")).ReadConfig(Sbuild.Core.Digest.Parse(native.ImageId)).RootFs.DiffIds.Count;
        Assert.True(layers > 2, $"{layers} layers: the steps must have changed files");
    }

    [Fact]
    public async Task A_store_on_overlayfs_falls_back_to_copies_says_so_and_builds_the_same_image()
    {
        using var work = new TempDirectory("sbuild-in-container-");
        foreach (var dir in new[] { "lower", "upper", "work", "merged" }) Directory.CreateDirectory(work.Combine(dir));
        // What a container's own root file system is: an overlay. The store inside it cannot hold overlay upper directories.
        Mounter.Mount(new Mount("overlay", "overlay", [$"lowerdir={work.Combine("lower")}", $"upperdir={work.Combine("upper")}", $"workdir={work.Combine("work")}"]),
            work.Combine("merged"));
        try
        {
            var store = work.Combine("merged", "store");
            var expected = await BuildAsync(work.Combine("reference-store"), RepoPaths.InRepo("examples", "hello"), "overlay");

            var first = await BuildAsync(store, RepoPaths.InRepo("examples", "hello"), snapshotter: null);
            var again = await BuildAsync(store, RepoPaths.InRepo("examples", "hello"), snapshotter: null, noCache: true);

            Assert.Equal(expected.ImageId, first.ImageId);
            Assert.Equal(expected.ImageId, again.ImageId);
            foreach (var build in new[] { first, again }) // the verdict is remembered, and said every time
            {
                var notice = Assert.Single(build.Progress.Split('\n'), l => l.Contains("overlayfs cannot be mounted", StringComparison.Ordinal));
                Assert.Contains($"on {store} (mount: Invalid argument: the store is itself on overlayfs", notice);
                Assert.EndsWith("; using the copy snapshotter (slower)", notice);
            }
            Assert.Contains("\"failure\"", File.ReadAllText(Path.Combine(store, "snapshotter.json")));
            Assert.False(Directory.Exists(Path.Combine(store, "snapshots")));
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(store, "tmp"))); // the probe cleaned up
        }
        finally
        {
            Mounter.Unmount(work.Combine("merged"), detach: true);
        }
    }

    [Fact]
    public async Task A_store_can_switch_snapshotters_and_prune_clears_both()
    {
        using var store = new TempDirectory("sbuild-switch-");
        var hello = RepoPaths.InRepo("examples", "hello");
        var overlay = await BuildAsync(store.Path, hello, "overlay");

        var native = await BuildAsync(store.Path, hello, "native");
        var nativeAgain = await BuildAsync(store.Path, hello, "native");

        Assert.Equal(overlay.ImageId, native.ImageId);
        var lastStep = System.Text.RegularExpressions.Regex.Match(native.Progress, @"(?m)^#\d+ (\[stage-2 \d+/\d+\] RUN rm /bin/wget.*)$").Groups[1].Value;
        Assert.True(PlainProgressLog.Ran(native.Progress, lastStep), "the overlay snapshots are not the native snapshotter's to use: the step runs again");
        Assert.False(PlainProgressLog.Ran(nativeAgain.Progress, lastStep));

        await sbuild.RunAsync(["prune", "-f", "--all"], storeRoot: store.Path);

        foreach (var root in new[] { "snapshots", "snapshots-native" })
            Assert.DoesNotContain(Directory.EnumerateDirectories(store.Combine(root)), d => Path.GetFileName(d).All(char.IsAsciiDigit));
    }

    [Fact]
    public async Task An_unknown_snapshotter_is_refused()
    {
        using var context = new TempDirectory("sbuild-badsnap-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\n");

        var result = await sbuild.RunAsync([context.Path], allowFailure: true, environment: new() { ["SBUILD_SNAPSHOTTER"] = "zfs" });

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("SBUILD_SNAPSHOTTER=\"zfs\": must be overlay or native", result.StandardError);
    }

    /// <summary>
    /// overlayfs' limits are the overlay snapshotter's: the option page (see RelativeLayerPaths) and 500 layers. The copy
    /// snapshotter has neither (and copies the whole tree for every step: 250 of them take minutes).
    /// </summary>
    [Fact]
    public async Task A_chain_of_250_layers_builds()
    {
        using var store = new TempDirectory("sbuild-250-");
        using var context = new TempDirectory("sbuild-250ctx-");
        File.WriteAllText(context.Combine("f"), "f\n");
        // COPY steps are the quickest way to a deep chain: each mounts the whole chain, as a RUN's does, without a container.
        File.WriteAllText(context.Combine("Dockerfile"),
            "FROM busybox\n" + string.Concat(Enumerable.Range(0, 250).Select(i => $"COPY f /layers/{i:D3}\n")) + "RUN test \"$(ls /layers | wc -l)\" = 250\n");

        var build = await BuildAsync(store.Path, context.Path, "overlay");

        var config = new Sbuild.Core.ImageStore(store.Path).ReadConfig(Sbuild.Core.Digest.Parse(build.ImageId));
        Assert.Equal(1 + 250 + 1, config.RootFs.DiffIds.Count); // busybox, one per COPY, and the RUN's (the mount points runc made)
    }

    private sealed record Built(string ImageId, string Progress);

    /// <summary>Builds <paramref name="context"/> in <paramref name="store"/> (busybox and the xattr base imported first) with the given snapshotter, or the automatic choice.</summary>
    private async Task<Built> BuildAsync(string store, string context, string? snapshotter, bool noCache = false)
    {
        Directory.CreateDirectory(store);
        if (!Directory.Exists(Path.Combine(store, "blobs")))
        {
            await sbuild.RunAsync(["image", "import", sbuild.BusyboxTar, "busybox:latest"], epoch: 0, storeRoot: store);
            await ImportBaseAsync(store);
        }
        string[] flags = noCache ? ["--no-cache"] : [];
        var result = await sbuild.RunAsync(["--progress", "plain", .. flags, context], epoch: Epoch, storeRoot: store,
            environment: new() { ["SBUILD_SNAPSHOTTER"] = snapshotter });
        return new Built(result.StandardOutput.Trim(), result.StandardError);
    }

    /// <summary>
    /// Imports into <paramref name="store"/> busybox plus <c>/data</c>: files and a directory carrying user xattrs (GNU
    /// tar keeps them; sbuild applies them when it unpacks the layer), a file, a directory and one to be replaced.
    /// </summary>
    private async Task ImportBaseAsync(string store)
    {
        using var work = new TempDirectory("sbuild-base-");
        var tree = work.Combine("tree");
        Directory.CreateDirectory(tree);
        await ProcessRunner.RunAsync(Tools.Tar, ["-xf", sbuild.BusyboxTar, "-C", tree], CancellationToken.None);
        var data = Path.Combine(tree, "data");
        Directory.CreateDirectory(Path.Combine(data, "dir", "sub"));
        Directory.CreateDirectory(Path.Combine(data, "replaced"));
        File.WriteAllText(Path.Combine(data, "replaced", "old"), "old\n");
        File.WriteAllText(Path.Combine(data, "file"), "file\n");
        File.WriteAllText(Path.Combine(data, "dir", "sub", "deep"), "deep\n");
        File.WriteAllText(Path.Combine(data, "attributed"), "attributed\n");
        File.WriteAllText(Path.Combine(data, "kept-attributes"), "kept\n");
        Xattrs.Set(Path.Combine(data, "attributed"), "user.origin", "base"u8);
        Xattrs.Set(Path.Combine(data, "kept-attributes"), "user.binary", [0x00, 0xFF, 0x80]);
        Xattrs.Set(Path.Combine(data, "dir"), "user.dir", "d"u8);
        var tar = work.Combine("base.tar");
        await ProcessRunner.RunAsync(Tools.Tar, ["--xattrs", "--xattrs-include=user.*", "--sort=name", "--mtime=@0", "--numeric-owner", "--format=pax",
            "--pax-option=delete=atime,delete=ctime", "-C", tree, "-cf", tar, "."], CancellationToken.None); // the same bytes for every store
        await sbuild.RunAsync(["image", "import", tar, "base:latest"], epoch: 0, storeRoot: store);
    }
}
