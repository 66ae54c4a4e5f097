using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>--cache-to / --cache-from round trips between two store roots, through a directory and a real registry.</summary>
public sealed class CacheExportTests(SbuildCli sbuild) : IClassFixture<SbuildCli>, IAsyncLifetime
{
    private RegistryServer _registry = null!;
    private readonly TempDirectory _work = new("sbuild-cache-export-");

    public async Task InitializeAsync() => _registry = await RegistryServer.StartOpenAsync(CancellationToken.None);

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _work.Dispose();
    }

    private const string Dockerfile = """
        FROM busybox AS tools
        RUN echo tool > /tool && echo unused > /unused
        FROM busybox
        COPY app.txt /app/
        COPY --from=tools /tool /usr/bin/tool
        RUN cat /app/app.txt /usr/bin/tool > /app/out
        """;

    private async Task<string> FreshStore(string name)
    {
        var store = _work.Combine(name);
        await sbuild.RunAsync(["image", "import", sbuild.BusyboxTar, "busybox:latest"], epoch: 0, storeRoot: store);
        return store;
    }

    private string Context()
    {
        var context = _work.Combine("ctx-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), Dockerfile);
        File.WriteAllText(Path.Combine(context, "app.txt"), "app\n");
        return context;
    }

    /// <summary>The snapshot directories of either snapshotter (one per unpacked layer or step).</summary>
    private static string[] SnapshotDirectories(string store) =>
        new[] { "snapshots", "snapshots-native" }.Select(root => Path.Combine(store, root)).Where(Directory.Exists).SelectMany(Directory.GetDirectories).ToArray();

    private static int Ran(string progress) => Regex.Matches(progress, @"^#\d+ DONE ", RegexOptions.Multiline).Count;
    private static int Cached(string progress) => Regex.Matches(progress, @"^#\d+ CACHED$", RegexOptions.Multiline).Count;

    [Fact]
    public async Task A_fresh_store_with_cache_from_a_directory_reruns_no_unchanged_step_and_gives_the_same_image()
    {
        var context = Context();
        var cacheDir = _work.Combine("cache-local");
        var first = await sbuild.RunAsync(["--progress", "plain", "--cache-to", $"type=local,dest={cacheDir},mode=max", context],
            epoch: 0, storeRoot: await FreshStore("local-a"));
        Assert.Contains("exported cache to", first.StandardError);
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(cacheDir, "index.json")))!;
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", index["manifests"]![0]!["mediaType"]!.GetValue<string>());

        var fresh = await FreshStore("local-b");
        var second = await sbuild.RunAsync(["--progress", "plain", "--cache-from", $"type=local,src={cacheDir}", context], epoch: 0, storeRoot: fresh);
        Assert.Equal(first.StandardOutput, second.StandardOutput); // the same image ID
        Assert.Equal(4, Cached(second.StandardError)); // both COPYs and both RUNs
        Assert.Equal(1, Ran(second.StandardError)); // only the base image (never cached: its snapshots are the cache)
        // Every step hit, so only what COPY --from hashes was unpacked (its key follows the selected files): the tools
        // stage's chain, busybox's layer and its RUN's. The final stage's imported layers stay packed.
        Assert.Equal(2, SnapshotDirectories(fresh).Length);

        // What was imported is now the store's own cache: no --cache-from needed any more.
        var third = await sbuild.RunAsync(["--progress", "plain", context], epoch: 0, storeRoot: fresh);
        Assert.Equal(4, Cached(third.StandardError));
        Assert.Equal(2, SnapshotDirectories(fresh).Length); // the COPY --from digest is remembered

        // A new step on top of the cached ones unpacks what it runs on, then and only then.
        File.AppendAllText(Path.Combine(context, "Dockerfile"), "\nRUN cat /app/out /usr/bin/tool > /app/both\n");
        var more = await sbuild.RunAsync(["--progress", "plain", "-o", $"type=local,dest={_work.Combine("more-out")}", context],
            epoch: 0, storeRoot: fresh);
        Assert.Equal(4, Cached(more.StandardError));
        Assert.Equal("app\ntool\ntool\n", File.ReadAllText(_work.Combine("more-out", "app", "both")));
        Assert.Equal(2 + 3 + 1, SnapshotDirectories(fresh).Length); // + the final stage's COPY, COPY and RUN layers, + the new RUN

        // A changed context file misses exactly from the COPY that reads it.
        File.WriteAllText(Path.Combine(context, "app.txt"), "changed\n");
        var changed = await sbuild.RunAsync(["--progress", "plain", "--cache-from", $"type=local,src={cacheDir}", context],
            epoch: 0, storeRoot: await FreshStore("local-c"));
        Assert.Equal(1, Cached(changed.StandardError)); // the tools stage's RUN; every final-stage step builds on the changed COPY
        Assert.NotEqual(first.StandardOutput, changed.StandardOutput);
    }

    [Fact]
    public async Task Mode_min_exports_only_the_steps_of_the_image_layers()
    {
        var context = Context();
        var cacheDir = _work.Combine("cache-min");
        await sbuild.RunAsync(["--cache-to", $"type=local,dest={cacheDir}", context], epoch: 0, storeRoot: await FreshStore("min-a"));
        var second = await sbuild.RunAsync(["--progress", "plain", "--cache-from", $"type=local,src={cacheDir}", context],
            epoch: 0, storeRoot: await FreshStore("min-b"));
        // The final stage's three steps are there; the tools stage's RUN is not, so it runs (for COPY --from's key).
        Assert.Matches(@"(?m)^#\d+ \[stage-1 4/4\] RUN cat /app/app.txt /usr/bin/tool > /app/out\n#\d+ CACHED$", second.StandardError);
        Assert.Matches(@"(?m)^#(\d+) \[tools 2/2\] RUN echo tool > /tool && echo unused > /unused\n(.*\n)*?#\1 DONE", second.StandardError);
    }

    [Fact]
    public async Task A_registry_cache_round_trips_and_a_missing_one_is_only_a_warning()
    {
        var context = Context();
        var cacheRef = $"{_registry.Address}/cache/app:buildcache";
        var first = await sbuild.RunAsync(["--progress", "plain", "--cache-to", $"type=registry,ref={cacheRef},mode=max", context],
            epoch: 0, storeRoot: await FreshStore("reg-a"));
        Assert.Contains($"pushed {cacheRef}", first.StandardError);
        var manifest = JsonNode.Parse((await RegistrySeed.SkopeoAsync(["inspect", "--raw", "--tls-verify=false", $"docker://{cacheRef}"])).StandardOutput)!;
        Assert.Equal("application/vnd.sbuild.cache.v1", manifest["artifactType"]!.GetValue<string>());

        var second = await sbuild.RunAsync(["--progress", "plain", "--cache-from", cacheRef, context], epoch: 0, storeRoot: await FreshStore("reg-b"));
        Assert.Equal(first.StandardOutput, second.StandardOutput);
        Assert.Equal(4, Cached(second.StandardError));

        var missing = await sbuild.RunAsync(["--progress", "plain", "--cache-from", $"type=registry,ref={_registry.Address}/cache/none:1", context],
            epoch: 0, storeRoot: await FreshStore("reg-c"));
        Assert.Contains("WARN", missing.StandardError);
        Assert.Contains("cache/none:1", missing.StandardError);
        Assert.Equal(first.StandardOutput, missing.StandardOutput); // built without it
    }

    private const string CacheMountDockerfile = """
        FROM busybox
        ARG N=1
        RUN --mount=type=cache,id=warm-test,target=/root/.cache,uid=5,mode=0700 \
            echo "sees: $(echo $(cat /root/.cache/log 2>/dev/null))" && echo run$N >> /root/.cache/log && mkdir -p /root/.cache/sub && ln -sf ../log /root/.cache/sub/link
        """;

    [Fact]
    public async Task Cache_mounts_round_trip_through_a_local_and_a_registry_export_into_fresh_stores()
    {
        var context = _work.Combine("ctx-cache-mounts");
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), CacheMountDockerfile);
        var cacheDir = _work.Combine("cache-mounts-local");
        var cacheRef = $"{_registry.Address}/cache/mounts:buildcache";
        var origin = await FreshStore("mounts-a");
        var first = await sbuild.RunAsync(["--progress", "plain", "--cache-to", $"type=local,dest={cacheDir},cache-mounts=true", context], storeRoot: origin);
        Assert.Contains("sees: \n", first.StandardError.Replace("\r", "", StringComparison.Ordinal) + "\n"); // an empty cache
        Assert.Contains(", 1 cache mounts", first.StandardError);
        // A fully cached build still exports the mounts its RUNs name.
        var cached = await sbuild.RunAsync(["--progress", "plain", "--cache-to", $"type=registry,ref={cacheRef},cache-mounts=true", context], storeRoot: origin);
        Assert.Equal(1, Cached(cached.StandardError));
        Assert.Contains(", 1 cache mounts", cached.StandardError);

        foreach (var source in (string[])[$"type=local,src={cacheDir}", cacheRef])
        {
            var fresh = await FreshStore("mounts-" + (source == cacheRef ? "registry" : "local"));
            // Another N: the RUN misses, and finds what the first build left in the cache, owner, mode and links kept.
            var warm = await sbuild.RunAsync(["--progress", "plain", "--build-arg", "N=2", "--cache-from", source, context], storeRoot: fresh);
            Assert.Contains("1 cache mounts restored", warm.StandardError);
            Assert.Matches(@"(?m) sees: run1$", warm.StandardError);
            var directory = Directory.GetDirectories(Path.Combine(fresh, "cache-mounts")).Single();
            var stat = await ProcessRunner.RunAsync("stat", ["-c", "%u %a", Path.Combine(directory, "0")], CancellationToken.None);
            Assert.Equal("5 700", stat.StandardOutput.Trim());
            Assert.Equal("run1\nrun2\n", File.ReadAllText(Path.Combine(directory, "0", "sub", "link")));

            // An import never replaces what the store's own builds put in a cache.
            var again = await sbuild.RunAsync(["--progress", "plain", "--build-arg", "N=3", "--cache-from", source, context], storeRoot: fresh);
            Assert.Contains("1 kept as this store has them", again.StandardError);
            Assert.Matches(@"(?m) sees: run1 run2$", again.StandardError);
        }

        // Without cache-mounts=true nothing of them is exported.
        var plainDir = _work.Combine("cache-no-mounts");
        var without = await sbuild.RunAsync(["--progress", "plain", "--cache-to", $"type=local,dest={plainDir}", context], storeRoot: origin);
        Assert.DoesNotContain("cache mounts", without.StandardError);
    }

    [Theory]
    [InlineData("--cache-to", "type=local,dest=x,cache-mounts=yes", "cache-mounts must be true or false")]
    [InlineData("--cache-from", "type=local,src=x,cache-mounts=true", "cache-mounts= is for --cache-to only")]
    [InlineData("--cache-to", "type=local", "type=local needs dest=DIR")]
    [InlineData("--cache-to", "type=s3,dest=x", "unsupported type \"s3\"")]
    [InlineData("--cache-to", "type=local,dest=x,mode=all", "mode must be min or max")]
    [InlineData("--cache-from", "type=local,src=x,mode=max", "mode= is for --cache-to only")]
    [InlineData("--cache-from", "Not A Ref", "\"Not A Ref\" is not a valid image reference")]
    public async Task Bad_cache_options_name_the_flag_and_the_problem(string flag, string value, string problem)
    {
        var result = await sbuild.RunAsync([flag, value, Context()], allowFailure: true);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"invalid {flag} \"{value}\": {problem}", result.StandardError);
    }
}
