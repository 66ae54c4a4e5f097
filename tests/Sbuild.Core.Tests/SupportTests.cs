using System.Diagnostics;
using Sbuild.TestSupport;

namespace Sbuild.Core.Tests;

/// <summary>The small TestSupport helpers other test projects rely on.</summary>
public class SupportTests
{
    [Fact]
    public async Task ProcessRunner_captures_output_and_environment()
    {
        var result = await ProcessRunner.RunAsync("/bin/sh", ["-c", "echo out; echo err >&2; echo $SBUILD_X"],
            new ProcessRunOptions { Environment = new Dictionary<string, string?> { ["SBUILD_X"] = "x value" } }, CancellationToken.None);
        Assert.Equal((0, "out\nx value\n", "err\n"), (result.ExitCode, result.StandardOutput, result.StandardError));
    }

    [Fact]
    public async Task ProcessRunner_throws_with_command_and_output_on_failure()
    {
        var e = await Assert.ThrowsAsync<ProcessFailedException>(() =>
            ProcessRunner.RunAsync("/bin/sh", ["-c", "echo partial; echo broken >&2; exit 3"], CancellationToken.None));
        Assert.Contains("exited with code 3", e.Message);
        Assert.Contains("/bin/sh -c", e.Message);
        Assert.Contains("partial", e.Message);
        Assert.Contains("broken", e.Message);
        Assert.Equal(3, e.Result!.ExitCode);

        var allowed = await ProcessRunner.RunAsync("/bin/sh", ["-c", "exit 4"], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        Assert.Equal(4, allowed.ExitCode);
    }

    [Fact]
    public async Task ProcessRunner_kills_a_process_that_runs_too_long()
    {
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<ProcessFailedException>(() => ProcessRunner.RunAsync("/bin/sh", ["-c", "echo started; sleep 30"],
            new ProcessRunOptions { Timeout = TimeSpan.FromMilliseconds(500) }, CancellationToken.None));
        Assert.Contains("timed out", e.Message);
        Assert.Contains("started", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task ProcessRunner_reports_a_missing_program()
    {
        var e = await Assert.ThrowsAsync<ProcessFailedException>(() => ProcessRunner.RunAsync("/nonexistent/tool", [], CancellationToken.None));
        Assert.Contains("/nonexistent/tool", e.Message);
    }

    [Fact]
    public void Tools_Require_finds_programs_and_names_the_install_hint_when_missing()
    {
        Assert.Equal("/bin/sh", Tools.Require("/bin/sh", "apt-get install dash"));
        Assert.True(File.Exists(Tools.Require("tar", "apt-get install tar")));
        var e = Assert.Throws<MissingToolException>(() => Tools.Require("sbuild-no-such-tool", "apt-get install sbuild-no-such-tool"));
        Assert.Contains("sbuild-no-such-tool", e.Message);
        Assert.Contains("apt-get install sbuild-no-such-tool", e.Message);
        using var dir = new TempDirectory();
        var plain = dir.Combine("not-executable");
        File.WriteAllText(plain, "#!/bin/sh\n");
        File.SetUnixFileMode(plain, Modes.Octal("0644"));
        Assert.Throws<MissingToolException>(() => Tools.Require(plain, "chmod +x"));
    }

    [Fact]
    public void RepoPaths_find_the_solution_and_the_shared_folder()
    {
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "Builder.sln")));
        Assert.True(Directory.Exists(RepoPaths.Shared));
        Assert.Equal("shared", Path.GetFileName(RepoPaths.Shared));
        Assert.True(Directory.Exists(Path.Combine(RepoPaths.Shared, "oracle")), $"{RepoPaths.Shared} has no oracle/");
        Assert.Equal(Path.Combine(RepoPaths.Root, "src", "Core"), RepoPaths.InRepo("src", "Core"));
        Assert.Throws<FileNotFoundException>(() => RepoPaths.InRepo("no", "such", "path"));
    }
}

/// <summary>The docker daemon fixture: reuse, idempotence, and the stale pid file rule.</summary>
[Collection(DockerCollection.Name)]
public sealed class DockerDaemonTests(DockerDaemon daemon) : IClassFixture<DockerDaemon>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Concurrent_starts_reuse_one_answering_daemon()
    {
        var clients = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => DockerDaemon.EnsureStartedAsync(CancellationToken.None)));
        Assert.All(clients, c => Assert.Same(daemon.Client, c));
        Assert.True(await daemon.Client.IsAnsweringAsync(CancellationToken.None));
        Assert.Equal(DockerDaemon.Host, daemon.Client.Host);
        Assert.Equal("/usr/bin/docker", daemon.Client.ClientPath);
        Assert.True(DaemonPidFile.IsLiveDockerd(DockerDaemon.PidFile));
    }

    [Fact]
    public async Task The_daemon_has_buildkit_and_a_data_root_of_its_own()
    {
        var info = await daemon.Client.RunAsync(["info", "--format", "{{.DockerRootDir}}"], CancellationToken.None);
        Assert.Equal(DockerDaemon.DataRoot, info.StandardOutput.Trim());
        // BuildKit answers "docker build --output", which the classic builder rejects.
        var ctx = _dir.Combine("ctx");
        Directory.CreateDirectory(ctx);
        File.WriteAllText(Path.Combine(ctx, "Dockerfile"), "FROM scratch\n");
        var tar = _dir.Combine("out.tar");
        await daemon.Client.RunAsync(["build", "--network=host", "--output", $"type=tar,dest={tar}", ctx], CancellationToken.None);
        Assert.True(File.Exists(tar));
    }

    [Fact]
    public async Task A_pid_file_of_a_dead_process_is_stale_and_removed()
    {
        var exited = Process.Start("/bin/true")!;
        await exited.WaitForExitAsync();
        var pidFile = _dir.Combine("dead.pid");
        File.WriteAllText(pidFile, exited.Id + "\n");
        Assert.False(DaemonPidFile.IsLiveDockerd(pidFile));
        DaemonPidFile.RemoveIfStale(pidFile);
        Assert.False(File.Exists(pidFile));
    }

    [Fact]
    public void A_pid_file_naming_a_live_process_that_is_not_dockerd_is_stale()
    {
        var pidFile = _dir.Combine("reused.pid");
        File.WriteAllText(pidFile, Environment.ProcessId.ToString()); // a pid reused by an unrelated process
        DaemonPidFile.RemoveIfStale(pidFile);
        Assert.False(File.Exists(pidFile));

        File.WriteAllText(pidFile, "garbage");
        DaemonPidFile.RemoveIfStale(pidFile);
        Assert.False(File.Exists(pidFile));
    }

    [Fact]
    public void A_pid_file_of_the_running_daemon_is_kept()
    {
        var pidFile = _dir.Combine("live.pid");
        File.Copy(DockerDaemon.PidFile, pidFile);
        Assert.True(DaemonPidFile.IsLiveDockerd(pidFile));
        DaemonPidFile.RemoveIfStale(pidFile);
        Assert.True(File.Exists(pidFile));
    }
}
