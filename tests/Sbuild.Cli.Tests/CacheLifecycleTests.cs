using System.Text.RegularExpressions;
using Sbuild.Core;
using Sbuild.Core.Metadata;
using Sbuild.Snapshotter;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>du, prune and the GC after a build, on a store of their own (prune empties it).</summary>
public sealed class CacheLifecycleTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    private static readonly Regex RecordRow = new(@"^[0-9a-f]{25}\s+true\s+\S+\s+.+ago$", RegexOptions.Multiline);

    /// <summary>
    /// The sizes these tests count on are overlay layers' (a copy snapshot's size is its whole tree), so their builds pin
    /// the overlay snapshotter even when the suite runs with SBUILD_SNAPSHOTTER=native.
    /// </summary>
    private static readonly Dictionary<string, string?> Overlay = new() { ["SBUILD_SNAPSHOTTER"] = "overlay" };

    /// <summary>A store of the test's own holding busybox, so records of other tests do not count.</summary>
    private async Task<TempDirectory> FreshStore()
    {
        var store = new TempDirectory("sbuild-cache-store-");
        await sbuild.RunAsync(["image", "import", sbuild.BusyboxTar, "busybox:latest"], storeRoot: store.Path);
        return store;
    }

    [Fact]
    public async Task A_no_op_rebuild_syncs_nothing_to_disk()
    {
        // Each fsync costs 25–80 ms on a virtual disk: a rebuild that changes nothing must not wait for any.
        var strace = Tools.Strace;
        using var store = await FreshStore();
        using var context = new TempDirectory("sbuild-noop-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nCOPY a.txt /a.txt\nRUN cp /a.txt /b.txt\n");
        File.WriteAllText(context.Combine("a.txt"), "a\n");
        var built = await sbuild.RunAsync(["-t", "noop:1", context.Path], epoch: 0, storeRoot: store.Path);

        var trace = context.Combine("syncs.trace");
        var rebuilt = await sbuild.RunAsync(["--progress", "plain", "-t", "noop:1", context.Path], epoch: 0, storeRoot: store.Path,
            under: [strace, "-f", "-e", "trace=fsync,fdatasync,sync_file_range,syncfs,sync,msync", "-o", trace]);

        Assert.Equal(2, Regex.Matches(rebuilt.StandardError, @"(?m)^#\d+ CACHED$").Count);
        Assert.Equal(built.StandardOutput, rebuilt.StandardOutput);
        var syncs = File.ReadAllLines(trace).Where(line => !line.Contains("+++ exited") && !line.Contains("--- SIG")).ToList();
        Assert.True(syncs.Count == 0, "the no-op rebuild synced:\n" + string.Join("\n", syncs));
    }

    [Fact]
    public async Task Du_lists_the_steps_a_build_cached_and_prune_removes_them_but_not_the_images()
    {
        using var store = await FreshStore();
        var images = new ImageStore(store.Path);
        using var context = new TempDirectory("sbuild-du-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN head -c 30000 /dev/zero > /big\nRUN echo small > /small\n");
        var built = await sbuild.RunAsync(["-t", "du:1", context.Path], epoch: 0, storeRoot: store.Path, environment: Overlay);

        var du = await sbuild.RunAsync(["du"], storeRoot: store.Path);
        Assert.Equal(2, RecordRow.Matches(du.StandardOutput).Count);
        Assert.Matches(@"(?m)^Total:\s+30\.\d+kB$", du.StandardOutput); // the 30000-byte file plus the small one
        var verbose = await sbuild.RunAsync(["du", "--verbose"], storeRoot: store.Path);
        Assert.Contains("Description:\t[2/3] RUN head -c 30000 /dev/zero > /big", verbose.StandardOutput);

        var pruned = await sbuild.RunAsync(["prune", "-f"], storeRoot: store.Path);
        Assert.Equal(2, RecordRow.Matches(pruned.StandardOutput).Count);
        Assert.Matches(@"(?m)^Total:\s+\d", pruned.StandardOutput);
        Assert.Empty(RecordRow.Matches((await sbuild.RunAsync(["du"], storeRoot: store.Path)).StandardOutput));

        // The image survived (its blobs are referenced), and a rebuild runs the steps again and gives the same image.
        var image = images.Find(ImageReference.Parse("du:1"))!;
        Assert.All(images.ReadManifest(image.Manifest.Digest).Layers, l => Assert.True(images.Content.Exists(l.Digest)));
        var rebuilt = await sbuild.RunAsync(["--progress", "plain", "-t", "du:1", context.Path], epoch: 0, storeRoot: store.Path, environment: Overlay);
        Assert.DoesNotMatch(@"(?m)^#\d+ CACHED$", rebuilt.StandardError);
        Assert.Equal(built.StandardOutput, rebuilt.StandardOutput);
    }

    [Fact]
    public async Task Prune_keep_storage_and_until_remove_least_recently_used_records_only()
    {
        using var store = await FreshStore();
        using var context = new TempDirectory("sbuild-lru-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nARG N\nRUN head -c 20000 /dev/zero > /f$N\n");
        foreach (var n in new[] { "lru1", "lru2", "lru3" })
            await sbuild.RunAsync(["--build-arg", $"N={n}", context.Path], epoch: 0, storeRoot: store.Path, environment: Overlay);

        var none = await sbuild.RunAsync(["prune", "-f", "--filter", "until=24h"], storeRoot: store.Path);
        Assert.Empty(RecordRow.Matches(none.StandardOutput)); // everything was used within 24 hours

        var kept = await sbuild.RunAsync(["prune", "-f", "--keep-storage", "45KB"], storeRoot: store.Path);
        Assert.Single(RecordRow.Matches(kept.StandardOutput)); // 3 × 20000 bytes → 2 × 20000 fit in 45 KiB
        var left = await sbuild.RunAsync(["--progress", "plain", "--build-arg", "N=lru3", context.Path], epoch: 0, storeRoot: store.Path, environment: Overlay);
        Assert.Matches(@"(?m)^#\d+ CACHED$", left.StandardError); // the newest stayed
        var gone = await sbuild.RunAsync(["--progress", "plain", "--build-arg", "N=lru1", context.Path], epoch: 0, storeRoot: store.Path, environment: Overlay);
        Assert.DoesNotMatch(@"(?m)^#\d+ CACHED$", gone.StandardError); // the oldest went

        var bad = await sbuild.RunAsync(["prune", "-f", "--filter", "since=1h"], allowFailure: true, storeRoot: store.Path);
        Assert.Contains("--filter \"since=1h\"", bad.StandardError);
        Assert.NotEqual(0, bad.ExitCode);
    }

    [Fact]
    public async Task Two_concurrent_builds_and_a_prune_on_one_store_all_succeed_and_the_images_stay_whole()
    {
        using var a = new TempDirectory("sbuild-conc-a-");
        using var b = new TempDirectory("sbuild-conc-b-");
        File.WriteAllText(a.Combine("Dockerfile"), "FROM busybox\nRUN sleep 2 && echo a > /a\n");
        File.WriteAllText(b.Combine("Dockerfile"), "FROM busybox\nRUN sleep 2 && echo b > /b\n");
        var buildA = sbuild.RunAsync(["-t", "conc:a", a.Path]);
        var buildB = sbuild.RunAsync(["-t", "conc:b", b.Path]);
        await Task.Delay(800);
        var prune = sbuild.RunAsync(["prune", "-f", "--all"]);
        await Task.WhenAll(buildA, buildB, prune);

        foreach (var name in new[] { "conc:a", "conc:b" })
        {
            var image = sbuild.Store.Find(ImageReference.Parse(name))!;
            var manifest = sbuild.Store.ReadManifest(image.Manifest.Digest);
            Assert.True(sbuild.Store.Content.Exists(manifest.Config.Digest));
            Assert.All(manifest.Layers, l => Assert.True(sbuild.Store.Content.Exists(l.Digest)));
        }
        // The prune waited for both builds, so it removed their records too; the store still builds.
        await sbuild.RunAsync(["-t", "conc:a", a.Path]);
    }

    [Fact]
    public async Task A_build_waits_while_a_prune_holds_the_store_and_then_runs()
    {
        using var store = await FreshStore();
        using var context = new TempDirectory("sbuild-wait-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN echo waited > /w\n");
        Task<ProcessResult> build;
        using (StoreLock.Exclusive(store.Path, TimeSpan.FromSeconds(5))) // what a running prune holds
        {
            build = sbuild.RunAsync(["-t", "waited:1", context.Path], storeRoot: store.Path);
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.False(build.IsCompleted);
        }
        await build; // succeeds once the lock is free
        Assert.NotNull(new ImageStore(store.Path).Find(ImageReference.Parse("waited:1")));
    }

    [Fact]
    public async Task The_gc_after_a_build_keeps_the_cache_within_the_configured_budget()
    {
        using var store = await FreshStore();
        Directory.CreateDirectory(Path.Combine(sbuild.ConfigHome, "sbuild"));
        var config = Path.Combine(sbuild.ConfigHome, "sbuild", "config.json");
        File.WriteAllText(config, """{"builder": {"gc": {"defaultReservedSpace": "0", "defaultMaxUsedSpace": "50KB", "defaultMinFreeSpace": "0"}}}""");
        try
        {
            using var context = new TempDirectory("sbuild-gc-");
            File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nARG N\nRUN head -c 20000 /dev/zero > /f$N\n");
            for (var n = 0; n < 6; n++)
            {
                var build = await sbuild.RunAsync(["--progress", "plain", "--build-arg", $"N={n}", "-t", $"gc:{n}", context.Path], storeRoot: store.Path, environment: Overlay);
                using var database = StoreDatabase.Open(store.Path);
                var records = database.ListCacheRecords();
                Assert.InRange(records.Sum(r => r.Size), 1, 50 * 1024);
                Assert.Contains(records, r => r.Description.Contains("RUN head -c 20000")); // the newest record stays
                if (n >= 3) Assert.Contains("cache GC: removed", build.StandardError);
            }
            // Snapshots do not pile up: the base layer plus the records' steps.
            using (var snapshots = Snapshotters.Open(SnapshotterKind.Overlay, Path.Combine(store.Path, "snapshots")))
                Assert.InRange(snapshots.List().Count(s => s.Key.StartsWith("step-", StringComparison.Ordinal)), 1, 2);
            // Every image is still whole: GC removes cache, never what an image references.
            var images = new ImageStore(store.Path);
            for (var n = 0; n < 6; n++)
                Assert.All(images.ReadManifest(images.Find(ImageReference.Parse($"gc:{n}"))!.Manifest.Digest).Layers,
                    l => Assert.True(images.Content.Exists(l.Digest)));
        }
        finally
        {
            File.Delete(config);
        }
    }
}
