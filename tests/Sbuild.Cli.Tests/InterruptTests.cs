using System.Diagnostics;
using Sbuild.Snapshotter;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>Ctrl-C (SIGINT) or SIGTERM in the middle of a RUN: exit 130 or 143 and nothing left behind.</summary>
public sealed class InterruptTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    [Fact]
    public async Task Ctrl_c_during_a_run_leaves_no_mount_container_process_snapshot_or_temp_file()
    {
        using var build = await SleepingBuild.StartAsync(sbuild);
        var (process, marker, stderr) = (build.Process, build.Marker, build.Stderr);

        await ProcessRunner.RunAsync("kill", ["-INT", process.Id.ToString()], CancellationToken.None);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(130, process.ExitCode);
        lock (stderr) Assert.Contains("build cancelled", stderr.ToString());
        Assert.DoesNotContain(sbuild.StoreRoot, File.ReadAllText("/proc/mounts"));
        var sleeping = await ProcessRunner.RunAsync("pgrep", ["-f", $"sleep {marker}"], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        Assert.Equal(1, sleeping.ExitCode); // pgrep: no such process
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(sbuild.StoreRoot, "tmp")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(sbuild.StoreRoot, "mnt")));
        // The catalog of whichever snapshotter ran (SBUILD_SNAPSHOTTER may pick the copies' root).
        var roots = new[] { (SnapshotterKind.Overlay, "snapshots"), (SnapshotterKind.Native, "snapshots-native") }
            .Select(r => (r.Item1, Path.Combine(sbuild.StoreRoot, r.Item2))).Where(r => Directory.Exists(r.Item2)).ToList();
        Assert.NotEmpty(roots);
        foreach (var (kind, root) in roots)
        {
            using var snapshots = Snapshotters.Open(kind, root);
            Assert.DoesNotContain(snapshots.List(), s => s.Kind == SnapshotKind.Active);
        }
    }

    /// <summary>SIGTERM (what `docker stop`, systemd and CI runners send), then a second one during the cleanup: exit 143
    /// (128 + 15, as a shell reports it), a short message, no stack trace, the cleanup completed.</summary>
    [Fact]
    public async Task Sigterm_twice_during_a_run_exits_143_without_a_stack_trace_and_cleans_up()
    {
        using var build = await SleepingBuild.StartAsync(sbuild);
        var (process, marker, stderr) = (build.Process, build.Marker, build.Stderr);

        await ProcessRunner.RunAsync("kill", ["-TERM", process.Id.ToString()], CancellationToken.None);
        await Task.Delay(100);
        if (!process.HasExited) await ProcessRunner.RunAsync("kill", ["-TERM", process.Id.ToString()], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(143, process.ExitCode);
        string text;
        lock (stderr) text = stderr.ToString();
        Assert.Contains("error: build cancelled (SIGTERM)", text);
        Assert.Contains(" CANCELED", text);
        Assert.DoesNotContain("   at ", text);
        Assert.DoesNotContain("Exception", text);
        var sleeping = await ProcessRunner.RunAsync("pgrep", ["-f", $"sleep {marker}"], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        Assert.Equal(1, sleeping.ExitCode);
        var problems = await StoreState.ProblemsAsync(sbuild.StoreRoot);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>Ctrl-C while the context is hashed for a COPY's cache key: the hashing stops (it would read a sparse 1 TiB
    /// file for many minutes), the build ends with 130 and a one-line message, and leaves nothing behind.</summary>
    [Fact]
    public async Task Ctrl_c_while_the_context_is_hashed_ends_the_build_and_leaves_nothing()
    {
        using var context = new TempDirectory("sbuild-interrupt-");
        using (var huge = File.Create(context.Combine("huge"))) huge.SetLength(1L << 40);
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nCOPY huge /huge\n");
        using var process = Process.Start(new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "sbuild.dll"), "build", "--progress", "plain", context.Path])
        {
            RedirectStandardError = true, RedirectStandardOutput = true,
            Environment = { ["SBUILD_ROOT"] = sbuild.StoreRoot, ["XDG_CONFIG_HOME"] = sbuild.ConfigHome, ["DOCKER_CONFIG"] = sbuild.DockerConfig },
        })!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        try
        {
            // Hashing has begun once sbuild holds the file open.
            var hashing = Path.Combine(context.Path, "huge");
            while (!process.HasExited && !ProcessFiles.Open(process.Id).Contains(hashing)) await Task.Delay(50);
            if (process.HasExited) Assert.Fail("sbuild ended before hashing the file:\n" + await stderr);
            await ProcessRunner.RunAsync("kill", ["-INT", process.Id.ToString()], CancellationToken.None);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }

        var text = await stderr;
        await stdout;
        Assert.Equal(130, process.ExitCode);
        Assert.Contains("error: build cancelled", text);
        Assert.DoesNotContain("   at ", text);
        Assert.DoesNotContain("Exception", text);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(sbuild.StoreRoot, "tmp")));
        Assert.DoesNotContain(sbuild.StoreRoot, File.ReadAllText("/proc/mounts"));
        var doctor = await sbuild.RunAsync(["doctor"], allowFailure: true);
        Assert.True(doctor.ExitCode == 0, doctor.StandardOutput + doctor.StandardError);
    }

    private sealed class SleepingBuild : IDisposable
    {
        private readonly TempDirectory _context;

        private SleepingBuild(TempDirectory context, Process process, int marker)
        {
            _context = context;
            Process = process;
            Marker = marker;
        }

        public Process Process { get; }
        public int Marker { get; }
        public System.Text.StringBuilder Stderr { get; } = new();

        public static async Task<SleepingBuild> StartAsync(SbuildCli sbuild)
        {
            var context = new TempDirectory("sbuild-interrupt-");
            var marker = 3000 + Random.Shared.Next(900);
            File.WriteAllText(context.Combine("Dockerfile"), $"FROM busybox\nRUN echo started && sleep {marker}\n");
            var process = Process.Start(new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "sbuild.dll"), "--progress", "plain", context.Path])
            {
                RedirectStandardError = true, RedirectStandardOutput = true,
                Environment = { ["SBUILD_ROOT"] = sbuild.StoreRoot, ["XDG_CONFIG_HOME"] = sbuild.ConfigHome, ["DOCKER_CONFIG"] = sbuild.DockerConfig },
            })!;
            var build = new SleepingBuild(context, process, marker);
            var started = new TaskCompletionSource();
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (build.Stderr) build.Stderr.AppendLine(e.Data);
                if (e.Data.EndsWith(" started", StringComparison.Ordinal)) started.TrySetResult();
            };
            process.BeginErrorReadLine();
            try
            {
                await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch
            {
                process.Kill(entireProcessTree: true);
                build.Dispose();
                throw;
            }
            return build;
        }

        public void Dispose()
        {
            Process.Dispose();
            _context.Dispose();
        }
    }
}
