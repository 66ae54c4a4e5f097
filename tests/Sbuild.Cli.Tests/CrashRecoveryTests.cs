using System.Diagnostics;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// sbuild killed with SIGKILL at random points of builds (several RUN steps, a COPY, the export to the store) and of
/// prunes: the next start reclaims everything the dead processes left — containers still running, mounts, bundles,
/// scratch directories, ingest files, snapshots — and the store holds only committed content again.
/// </summary>
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task Kill_9_at_random_points_leaves_nothing_after_the_next_build()
    {
        await using var sbuild = await SbuildCliStore.CreateAsync();
        using var context = new TempDirectory("sbuild-crash-");
        var marker = 100 + Random.Shared.Next(899); // in a sleep only this test starts, to look for afterwards
        File.WriteAllBytes(context.Combine("data"), RandomNumberGenerator(1 << 20));
        File.WriteAllText(context.Combine("Dockerfile"), $"""
            FROM busybox
            ARG N
            RUN echo $N > /n && sleep 0.3
            RUN head -c 3000000 /dev/urandom > /big && sleep 0.3
            COPY data /data
            RUN echo started && sleep 1.{marker} && echo done $N
            RUN rm /big && echo $N >> /n
            """);
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        for (var i = 0; i < 12; i++)
        {
            IEnumerable<string> args = i % 5 == 4
                ? ["prune", "-f"]
                : ["build", "--progress", "plain", "--build-arg", $"N={i}", "-t", $"crash:{i}", context.Path];
            await sbuild.KillAfterAsync(args, TimeSpan.FromMilliseconds(300 + random.Next(4500)));
        }
        // The random kills may all land before a process took its lease or after it finished, and each start reclaims
        // what the earlier ones left: one last kill while a RUN surely runs leaves work for the final build to reclaim.
        await sbuild.KillAfterAsync(["build", "--progress", "plain", "--build-arg", "N=last", "-t", "crash:last", context.Path],
            TimeSpan.FromMinutes(2), killWhen: line => line.EndsWith(" started", StringComparison.Ordinal));

        var final = await sbuild.Cli.RunAsync(["build", "--progress", "plain", "--build-arg", "N=final", "-t", "crash:final", context.Path]);

        Assert.Contains("reclaimed the work of", final.StandardError);
        var problems = await StoreState.ProblemsAsync(sbuild.Cli.StoreRoot);
        Assert.True(problems.Count == 0, $"seed {seed}:\n" + string.Join('\n', problems));
        var sleeping = await ProcessRunner.RunAsync("pgrep", ["-f", $"sleep 1.{marker}"], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        Assert.Equal(1, sleeping.ExitCode); // no container of a killed build still runs
        var doctor = await sbuild.Cli.RunAsync(["doctor"], allowFailure: true);
        Assert.True(doctor.ExitCode == 0, doctor.StandardOutput + doctor.StandardError);
    }

    /// <summary>
    /// Kills that land while sbuild exports an image to an OCI archive (<c>-o type=oci,dest=</c>), pulls one from a local
    /// registry and prunes: the next build reclaims what they left, nothing stays beside the export's destination, the
    /// store holds only committed content and <c>sbuild doctor</c> finds nothing.
    /// </summary>
    [Fact]
    public async Task Kill_9_during_export_pull_and_prune_leaves_nothing_after_the_next_build()
    {
        await using var sbuild = await SbuildCliStore.CreateAsync();
        await using var registry = await RegistryServer.StartOpenAsync(CancellationToken.None);
        using var work = new TempDirectory("sbuild-crash-");
        var context = work.Combine("context");
        Directory.CreateDirectory(context);
        // 12 MB that does not compress: its layer takes a while to write, to send and to receive.
        File.WriteAllText(Path.Combine(context, "Dockerfile"), "FROM busybox\nARG N\nRUN head -c 12000000 /dev/urandom > /big && echo $N > /n\n");
        await sbuild.Cli.RunAsync(["build", "--progress", "plain", "--build-arg", "N=0", "-t", "exported", context]);
        // Images to pull come from a second store, so their blobs are new to the crashing one.
        var seed = work.Combine("seed");
        await sbuild.Cli.RunAsync(["image", "import", sbuild.Cli.BusyboxTar, "busybox:latest"], storeRoot: seed);
        var pulled = new List<string>();
        for (var i = 1; i <= 3; i++)
        {
            var name = $"{registry.Address}/crash/pulled:{i}";
            await sbuild.Cli.RunAsync(["build", "--progress", "plain", "--build-arg", $"N={i}", "-t", name, "--push", context], storeRoot: seed);
            pulled.Add(name);
        }

        var exports = work.Combine("exports");
        Directory.CreateDirectory(exports);
        var seed2 = Random.Shared.Next();
        var random = new Random(seed2);
        for (var i = 0; i < 2; i++)
        {
            await sbuild.KillAfterAsync(["build", "--progress", "plain", "--build-arg", "N=0", "-o", $"type=oci,dest={Path.Combine(exports, $"out{i}.tar")}", context],
                TimeSpan.FromMilliseconds(400 + random.Next(1500)));
            await sbuild.KillAfterAsync(["pull", pulled[i]], TimeSpan.FromMilliseconds(300 + random.Next(1200)));
            await sbuild.KillAfterAsync(["prune", "-f", "--all"], TimeSpan.FromMilliseconds(300 + random.Next(700)));
        }
        // One pull surely killed in the middle, of an image no earlier pull had: once it receives a blob (its ingest file).
        var ingest = Path.Combine(sbuild.Cli.StoreRoot, "ingest");
        await sbuild.KillAfterAsync(["pull", pulled[^1]], TimeSpan.FromMinutes(1), killWhenProcess: pid =>
            Directory.Exists(ingest) && Directory.EnumerateFiles(ingest, $"{pid}.*").Any());

        var final = await sbuild.Cli.RunAsync(["build", "--progress", "plain", "--build-arg", "N=final", "-t", "final", context]);

        Assert.Contains("reclaimed the work of", final.StandardError);
        var problems = await StoreState.ProblemsAsync(sbuild.Cli.StoreRoot);
        Assert.True(problems.Count == 0, $"seed {seed2}:\n" + string.Join('\n', problems));
        // An export is either complete under its name or absent: nothing half-written beside it.
        Assert.All(Directory.EnumerateFileSystemEntries(exports), path => Assert.Matches(@"/out\d\.tar$", path));
        var doctor = await sbuild.Cli.RunAsync(["doctor"], allowFailure: true);
        Assert.True(doctor.ExitCode == 0, doctor.StandardOutput + doctor.StandardError);
        var pull = await sbuild.Cli.RunAsync(["pull", pulled[^1]]); // and the store still pulls what a kill interrupted
        Assert.StartsWith("sha256:", pull.StandardOutput.Trim());
    }

    [Fact]
    public async Task A_running_container_dies_with_a_killed_sbuild_without_another_start()
    {
        await using var sbuild = await SbuildCliStore.CreateAsync();
        using var context = new TempDirectory("sbuild-crash-");
        var marker = 3000 + Random.Shared.Next(999); // a sleep only this test starts, to look for afterwards
        File.WriteAllText(context.Combine("Dockerfile"), $"""
            FROM busybox
            RUN echo started && sleep {marker} & sleep {marker}
            """);

        await sbuild.KillAfterAsync(["build", "--progress", "plain", context.Path], TimeSpan.FromMinutes(2),
            killWhen: line => line.EndsWith(" started", StringComparison.Ordinal));

        try
        {
            // The kernel tears the container down once sbuild is gone; it takes a moment, so poll (without starting sbuild).
            var left = await ProcessesAsync(marker, sbuild.Cli.StoreRoot);
            for (var i = 0; i < 50 && left.Count > 0; i++)
            {
                await Task.Delay(100);
                left = await ProcessesAsync(marker, sbuild.Cli.StoreRoot);
            }
            Assert.True(left.Count == 0, "still running after sbuild was killed:\n" + string.Join('\n', left));
        }
        finally
        {
            await sbuild.Cli.RunAsync(["doctor", "--fix"], allowFailure: true); // a failed run must not leave its sleeps behind
        }
    }

    /// <summary>The container's sleeps and every process (runtime, wrapper) whose command line names the store.</summary>
    private static async Task<List<string>> ProcessesAsync(int marker, string storeRoot)
    {
        var found = new List<string>();
        foreach (var pattern in (string[])[$"sleep {marker}", storeRoot])
        {
            var result = await ProcessRunner.RunAsync("pgrep", ["-a", "-f", pattern], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
            found.AddRange(result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        return found;
    }

    private static byte[] RandomNumberGenerator(int size) => System.Security.Cryptography.RandomNumberGenerator.GetBytes(size);
}

/// <summary>A private store for one test (the kills must not disturb other tests' stores), and a way to kill sbuild in it.</summary>
internal sealed class SbuildCliStore : IAsyncDisposable
{
    private SbuildCliStore()
    {
    }

    public SbuildCli Cli { get; } = new();

    public static async Task<SbuildCliStore> CreateAsync()
    {
        var store = new SbuildCliStore();
        await store.Cli.InitializeAsync();
        return store;
    }

    /// <summary>Starts sbuild with <paramref name="args"/> and sends it SIGKILL after <paramref name="delay"/> or, sooner,
    /// once it prints a line of standard error that <paramref name="killWhen"/> accepts or <paramref name="killWhenProcess"/>
    /// holds for its process id (if it still runs).</summary>
    public async Task KillAfterAsync(IEnumerable<string> args, TimeSpan delay, Func<string, bool>? killWhen = null, Func<int, bool>? killWhenProcess = null)
    {
        using var process = Process.Start(new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "sbuild.dll"), .. args])
        {
            RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true,
            Environment = { ["SBUILD_ROOT"] = Cli.StoreRoot, ["XDG_CONFIG_HOME"] = Cli.ConfigHome, ["DOCKER_CONFIG"] = Cli.DockerConfig },
        })!;
        process.StandardInput.Close();
        var seen = new TaskCompletionSource();
        var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), WatchAsync(process.StandardError, killWhen, seen));
        await Task.WhenAny(process.WaitForExitAsync(), Task.Delay(delay), seen.Task, PollAsync(killWhenProcess, process));
        if (!process.HasExited) process.Kill(); // SIGKILL to sbuild alone: its runtime and containers stay, as after a crash
        await process.WaitForExitAsync();
        // Processes sbuild left (a container that outlived it) may hold the pipes open: do not wait for them forever.
        await Task.WhenAny(drain, Task.Delay(TimeSpan.FromSeconds(15)));
    }

    /// <summary>Completes once <paramref name="condition"/> holds for the process's id (checked every 20 ms) or it ended.</summary>
    private static async Task PollAsync(Func<int, bool>? condition, Process process)
    {
        if (condition is null)
        {
            await process.WaitForExitAsync();
            return;
        }
        while (!process.HasExited && !condition(process.Id)) await Task.Delay(20);
    }

    private static async Task WatchAsync(StreamReader stderr, Func<string, bool>? killWhen, TaskCompletionSource seen)
    {
        while (await stderr.ReadLineAsync() is { } line)
            if (killWhen?.Invoke(line) == true) seen.TrySetResult();
    }

    /// <summary>Also when a test failed with mounts left: they are detached first, so that the store can be deleted.</summary>
    public async ValueTask DisposeAsync()
    {
        var mounts = File.ReadLines("/proc/self/mountinfo").Select(line => line.Split(' ')[4])
            .Where(point => point.StartsWith(Cli.StoreRoot, StringComparison.Ordinal)).OrderByDescending(p => p.Length).ToList();
        foreach (var point in mounts)
            await ProcessRunner.RunAsync("umount", ["-l", point], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        await Cli.DisposeAsync();
    }
}
