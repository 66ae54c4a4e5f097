using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// The sandbox's limits per RUN: at most 4096 tasks by default (a fork bomb fails its step instead of exhausting the
/// host's pids) and, with <c>--memory SIZE</c>, a memory limit whose OOM kill is reported as such (the kernel's OOM kill
/// count rose while the step died of SIGKILL). This host's cgroups are hybrid
/// (v1 controllers); the container sees its own limits in its /sys/fs/cgroup.
/// </summary>
public sealed class RunLimitsTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    [Fact]
    public async Task Every_run_has_a_pids_limit_and_a_fork_bomb_fails_its_step()
    {
        using var context = new TempDirectory("sbuild-pids-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max\n");
        var byDefault = await sbuild.RunAsync(["build", "--progress", "plain", context.Path]);
        Assert.Contains(" 4096\n", byDefault.StandardError); // the RUN's cgroup holds sbuild's default limit

        // docker daemon.json's key lowers it, so that the bomb reaches it quickly (forks are slow on a loaded 2-core host).
        var config = Path.Combine(sbuild.ConfigHome, "sbuild", "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(config)!);
        File.WriteAllText(config, """{"default-pids-limit": 40}""");
        try
        {
            var marker = 600 + Random.Shared.Next(300);
            // Each background sleep must start ($! changes); a refused fork ends the shell (or fails the check).
            File.WriteAllText(context.Combine("Dockerfile"), $"""
                FROM busybox
                RUN last=; i=0; while [ $i -lt 100 ]; do sleep {marker} & [ "$!" != "$last" ] || exit 3; last=$!; i=$((i+1)); done; echo "all $i started"
                """);
            var bomb = await sbuild.RunAsync(["build", "--progress", "plain", context.Path], allowFailure: true);

            Assert.NotEqual(0, bomb.ExitCode);
            Assert.Contains("RUN failed with exit code", bomb.StandardError);
            Assert.Contains("can't fork", bomb.StandardError); // the shell's message for EAGAIN, as in any container with a pids limit
            Assert.DoesNotContain("all 100 started", bomb.StandardError);
            var left = await ProcessRunner.RunAsync("pgrep", ["-f", $"sleep {marker}"], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
            Assert.Equal(1, left.ExitCode); // the step's pid namespace took the forked processes down with it

            File.WriteAllText(config, """{"default-pids-limit": "many"}""");
            var bad = await sbuild.RunAsync(["build", "--progress", "plain", context.Path], allowFailure: true);
            Assert.NotEqual(0, bad.ExitCode);
            Assert.Contains("default-pids-limit: must be a whole number", bad.StandardError);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public async Task Memory_limits_every_run_and_a_run_over_it_fails_as_killed_for_memory()
    {
        using var context = new TempDirectory("sbuild-memory-");
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM busybox
            RUN cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max
            RUN echo within the limit
            """);
        var fits = await sbuild.RunAsync(["build", "--progress", "plain", "--memory", "32m", context.Path]);
        Assert.Contains(" 33554432\n", fits.StandardError); // 32 MiB, as the container's cgroup holds it
        Assert.Contains("within the limit", fits.StandardError);

        // dd's 100 MB buffer is filled from /dev/zero: more than the limit.
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN dd if=/dev/zero of=/dev/null bs=100M count=1\n");
        var over = await sbuild.RunAsync(["build", "--progress", "plain", "-m", "32m", context.Path], allowFailure: true);
        Assert.NotEqual(0, over.ExitCode);
        Assert.Contains("RUN was killed: out of memory (limit 32MiB, --memory; exit code 137): /bin/sh -c dd if=/dev/zero", over.StandardError);
        Assert.DoesNotContain("internal error", over.StandardError);

        var without = await sbuild.RunAsync(["build", "--progress", "plain", context.Path]); // no limit: dd fits
        Assert.Contains("1+0 records out", without.StandardError);

        // A SIGKILL that is not the OOM killer's is an exit code like any other, limit or not (a child shell kills itself:
        // the container's init is immune to signals from inside its pid namespace, and `; exit $?` keeps sh from exec'ing it).
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN sh -c 'kill -9 $$'; exit $?\n");
        var killed = await sbuild.RunAsync(["build", "--progress", "plain", "-m", "32m", context.Path], allowFailure: true);
        Assert.Contains("RUN failed with exit code 137", killed.StandardError);
        Assert.DoesNotContain("out of memory", killed.StandardError);
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("12q")]
    [InlineData("1k")]
    public async Task A_bad_memory_size_is_refused_naming_the_flag(string size)
    {
        using var context = new TempDirectory("sbuild-memory-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN true\n");
        var build = await sbuild.RunAsync(["build", "--memory", size, context.Path], allowFailure: true);
        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains($"--memory \"{size}\": must be a size of at least 6MiB", build.StandardError);
        Assert.DoesNotContain("   at ", build.StandardError);
    }
}
