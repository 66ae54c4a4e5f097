using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary><c>sbuild doctor</c> on a store damaged in several ways at once: each damage reported, <c>--fix</c> repairs
/// without losing the image, and later builds work.</summary>
public sealed class DoctorTests
{
    [Fact]
    public async Task Reports_each_damage_fixes_it_and_later_builds_work()
    {
        await using var sbuild = await SbuildCliStore.CreateAsync();
        var root = sbuild.Cli.StoreRoot;
        using var context = new TempDirectory("sbuild-doctor-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN echo one > /one\nRUN echo two > /two\n");
        await sbuild.Cli.RunAsync(["build", "--progress", "plain", context.Path]); // untagged: its layers are the records' only
        Assert.Equal(0, (await sbuild.Cli.RunAsync(["doctor"])).ExitCode);

        // 1. A layer blob that only a cache record references, one byte changed.
        var results = await ProcessRunner.RunAsync(Tools.Sqlite3, [Path.Combine(root, "metadata.db"), "select result from cache_records where description like '%echo two%'"], CancellationToken.None);
        var layer = System.Text.Json.JsonDocument.Parse(results.StandardOutput).RootElement.GetProperty("Layers").EnumerateArray().Last()
            .GetProperty("Blob").GetProperty("digest").GetString()!["sha256:".Length..];
        var blob = Path.Combine(root, "blobs", "sha256", layer);
        var bytes = File.ReadAllBytes(blob);
        bytes[^1] ^= 0xff;
        File.WriteAllBytes(blob, bytes);
        // 2. A committed snapshot's directory gone; 3. a directory no snapshot owns.
        var snapshots = Directory.Exists(Path.Combine(root, "snapshots-native")) && !Directory.Exists(Path.Combine(root, "snapshots", "1"))
            ? Path.Combine(root, "snapshots-native") : Path.Combine(root, "snapshots");
        var newest = Directory.EnumerateDirectories(snapshots).Select(d => long.Parse(Path.GetFileName(d))).Max();
        TreeRemover(Path.Combine(snapshots, newest.ToString()));
        Directory.CreateDirectory(Path.Combine(snapshots, "999", "fs"));
        // 4. Scratch files of no process; 5. a cache record whose result is unreadable.
        File.WriteAllText(Path.Combine(root, "ingest", "0123456789abcdef"), "partial blob");
        Directory.CreateDirectory(Path.Combine(root, "tmp", "build-0123"));
        await ProcessRunner.RunAsync(Tools.Sqlite3, [Path.Combine(root, "metadata.db"),
            "insert into cache_records(key, result, created, last_used) values ('sha256:" + new string('a', 64) + "', 'not json', 0, 0)"], CancellationToken.None);

        var check = await sbuild.Cli.RunAsync(["doctor"], allowFailure: true);

        Assert.Equal(1, check.ExitCode);
        Assert.Contains($"blob sha256:{layer}: its content does not match its digest", check.StandardOutput);
        Assert.Contains($"its directory {Path.Combine(snapshots, newest.ToString())} is missing", check.StandardOutput);
        Assert.Contains($"directory {Path.Combine(snapshots, "999")} belongs to no snapshot", check.StandardOutput);
        Assert.Contains($"{Path.Combine(root, "ingest", "0123456789abcdef")}: left by a process that ended", check.StandardOutput);
        Assert.Contains($"{Path.Combine(root, "tmp", "build-0123")}: left by a process that ended", check.StandardOutput);
        Assert.Contains("its result is unreadable", check.StandardOutput);
        Assert.Equal(check.StandardOutput, (await sbuild.Cli.RunAsync(["store", "check"], allowFailure: true)).StandardOutput);

        var fix = await sbuild.Cli.RunAsync(["doctor", "--fix"]);
        Assert.Contains("fixed: ", fix.StandardOutput);
        var again = await sbuild.Cli.RunAsync(["doctor"]);
        Assert.Contains("store is consistent", again.StandardError);
        Assert.Empty(again.StandardOutput);

        var build = await sbuild.Cli.RunAsync(["build", "--progress", "plain", "-t", "after", context.Path]);
        // The step whose layer was corrupt runs again (its record was dropped): its progress entry is not CACHED.
        var step = build.StandardError.Split('\n').First(l => l.Contains("RUN echo two", StringComparison.Ordinal)).Split(' ')[0];
        Assert.DoesNotContain($"{step} CACHED", build.StandardError);
        var problems = await StoreState.ProblemsAsync(root);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.Equal(0, (await sbuild.Cli.RunAsync(["doctor"])).ExitCode);
    }

    /// <summary>An unreadable snapshot catalog: reported; --fix replaces it (snapshots are unpacked or built again).</summary>
    [Fact]
    public async Task An_unreadable_catalog_is_rebuilt()
    {
        await using var sbuild = await SbuildCliStore.CreateAsync();
        var root = sbuild.Cli.StoreRoot;
        using var context = new TempDirectory("sbuild-doctor-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN echo one > /one\n");
        await sbuild.Cli.RunAsync(["build", "--progress", "plain", "-t", "one", context.Path]);
        var catalog = new[] { "snapshots", "snapshots-native" }.Select(r => Path.Combine(root, r, "catalog.db")).First(File.Exists);
        foreach (var suffix in (string[])["-wal", "-shm"]) File.Delete(catalog + suffix);
        File.WriteAllText(catalog, "{ torn: not a database at all, and long enough to be taken for a header }");

        var check = await sbuild.Cli.RunAsync(["doctor"], allowFailure: true);
        Assert.Equal(1, check.ExitCode);
        Assert.Contains($"snapshot catalog {catalog}", check.StandardOutput);

        await sbuild.Cli.RunAsync(["doctor", "--fix"]);
        Assert.StartsWith("{ torn", File.ReadAllText(catalog + ".corrupt")); // kept for whoever investigates
        File.Delete(catalog + ".corrupt");
        Assert.Equal(0, (await sbuild.Cli.RunAsync(["doctor"])).ExitCode);
        await sbuild.Cli.RunAsync(["build", "--progress", "plain", "-t", "two", context.Path]);
        var problems = await StoreState.ProblemsAsync(root);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    private static void TreeRemover(string path) => Sbuild.Core.TreeRemover.Delete(path);
}
