using System.Diagnostics;
using Sbuild.Core;

namespace Sbuild.Runner.Tests;

/// <summary>Real containers: runc over a busybox-only rootfs (we are root).</summary>
public sealed class ContainerRunnerTests : IDisposable
{
    private readonly BusyboxSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task Streams_stdout_and_stderr_and_returns_the_exit_code()
    {
        var (exitCode, lines) = await _sandbox.RunAsync(_sandbox.Spec("sh", "-c", "echo out; echo err >&2; exit 3"));

        Assert.Equal(3, exitCode);
        Assert.Equal(["E:err", "out"], lines.Order(StringComparer.Ordinal));
        Assert.True(_sandbox.WorkDirectoryIsEmpty());
    }

    [Fact]
    public async Task Env_cwd_and_user_are_applied()
    {
        var spec = _sandbox.Spec("sh", "-c", "echo $GREETING; pwd; id -u; id -g; id -G; wc -l < /etc/hosts") with
        {
            Env = ["PATH=/bin", "GREETING=hello world"],
            Cwd = "/work/dir",
            User = new RunUser(1000, 1001, [27]),
        };

        var (exitCode, lines) = await _sandbox.RunAsync(spec);

        Assert.Equal(0, exitCode);
        // The last line: a non-root user can read the two-line generated /etc/hosts.
        Assert.Equal(["hello world", "/work/dir", "1000", "1001", "1001 27", "2"], lines);
    }

    [Fact]
    public async Task Hostname_is_buildkits_unless_set()
    {
        var (_, byDefault) = await _sandbox.RunAsync(_sandbox.Spec("hostname"));
        var (_, custom) = await _sandbox.RunAsync(_sandbox.Spec("hostname") with { Hostname = "myhost" });

        Assert.Equal(["buildkitsandbox"], byDefault);
        Assert.Equal(["myhost"], custom);
    }

    [Fact]
    public async Task Writes_to_the_rootfs_persist_after_the_run()
    {
        var (exitCode, _) = await _sandbox.RunAsync(_sandbox.Spec("sh", "-c", "mkdir -p /opt/app && echo built > /opt/app/out.txt"));

        Assert.Equal(0, exitCode);
        Assert.Equal("built\n", File.ReadAllText(Path.Join(_sandbox.Rootfs, "opt/app/out.txt")));
    }

    [Fact]
    public async Task Etc_hosts_is_the_generated_file_and_read_only()
    {
        var spec = _sandbox.Spec("sh", "-c", "cat /etc/hosts; echo x >> /etc/hosts || echo refused") with
        {
            ExtraHosts = [new HostEntry("registry", "10.9.8.7")],
        };

        var (_, lines) = await _sandbox.RunAsync(spec);

        var expected = HostsFile.Render("buildkitsandbox", spec.ExtraHosts).TrimEnd('\n').Split('\n');
        Assert.Equal([.. expected, "refused"], lines.Where(l => !l.StartsWith("E:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Mount_stubs_for_hosts_and_resolv_conf_are_removed_but_the_kernel_mount_points_stay()
    {
        Assert.Equal(["bin"], _sandbox.RootEntries());

        var (exitCode, lines) = await _sandbox.RunAsync(_sandbox.Spec("sh", "-c", "ls /etc"));

        Assert.Equal(0, exitCode);
        Assert.Equal(["hosts", "resolv.conf"], lines.Order(StringComparer.Ordinal));
        // /etc existed only for the two mounts, so it goes; /proc, /dev and /sys stay, as in docker build's layers.
        Assert.Equal(["bin", "dev", "proc", "sys"], _sandbox.RootEntries());
    }

    [Fact]
    public async Task A_created_etc_stays_when_the_run_put_something_in_it()
    {
        var (exitCode, _) = await _sandbox.RunAsync(_sandbox.Spec("touch", "/etc/app.conf"));

        Assert.Equal(0, exitCode);
        Assert.Equal(["app.conf"], Directory.EnumerateFileSystemEntries(Path.Join(_sandbox.Rootfs, "etc")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task An_images_own_hosts_file_is_shadowed_during_the_run_and_untouched_after()
    {
        Directory.CreateDirectory(Path.Join(_sandbox.Rootfs, "etc"));
        File.WriteAllText(Path.Join(_sandbox.Rootfs, "etc/hosts"), "1.2.3.4 image-entry\n");

        var (_, lines) = await _sandbox.RunAsync(_sandbox.Spec("cat", "/etc/hosts"));

        Assert.DoesNotContain("1.2.3.4 image-entry", lines);
        Assert.Equal("1.2.3.4 image-entry\n", File.ReadAllText(Path.Join(_sandbox.Rootfs, "etc/hosts")));
        Assert.Equal(["hosts"], Directory.EnumerateFileSystemEntries(Path.Join(_sandbox.Rootfs, "etc")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Stdin_receives_the_given_text_or_is_empty()
    {
        var (_, piped) = await _sandbox.RunAsync(_sandbox.Spec("cat") with { Stdin = "line one\nline two\n" });
        var (exitCode, empty) = await _sandbox.RunAsync(_sandbox.Spec("sh", "-c", "cat; echo done"));

        Assert.Equal(["line one", "line two"], piped);
        Assert.Equal(0, exitCode);
        Assert.Equal(["done"], empty);
    }

    [Fact]
    public async Task Capabilities_and_open_files_limit_match_docker()
    {
        var (_, lines) = await _sandbox.RunAsync(_sandbox.Spec("sh", "-c", "grep -E '^Cap(Bnd|Eff)' /proc/self/status; ulimit -n"));

        // Bits of CHOWN(0) DAC_OVERRIDE(1) FOWNER(3) FSETID(4) KILL(5) SETGID(6) SETUID(7) SETPCAP(8) NET_BIND_SERVICE(10)
        // NET_RAW(13) SYS_CHROOT(18) MKNOD(27) AUDIT_WRITE(29) SETFCAP(31).
        var dockerDefault = new[] { 0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31 }.Aggregate(0UL, (mask, bit) => mask | 1UL << bit);
        // docker's 1048576, unless this process lacks CAP_SYS_RESOURCE and has a lower hard limit itself.
        var openFiles = HostLimits.OpenFilesLimit(OciSpecBuilder.DockerOpenFilesLimit);
        Assert.Equal([$"CapEff:\t{dockerDefault:x16}", $"CapBnd:\t{dockerDefault:x16}", $"{openFiles}"], lines);
    }

    [Fact]
    public async Task Dockers_default_seccomp_profile_refuses_unshare_and_no_profile_allows_it()
    {
        var spec = _sandbox.Spec("sh", "-c", "grep '^Seccomp:' /proc/self/status; unshare -U -r true");

        var (refused, confined) = await _sandbox.RunAsync(spec);
        var (allowed, unconfined) = await _sandbox.RunAsync(spec with { Seccomp = null });

        Assert.NotEqual(0, refused);
        Assert.Equal(["E:unshare: unshare(0x10000000): Operation not permitted", "Seccomp:\t2"], confined.Order(StringComparer.Ordinal));
        Assert.Equal(0, allowed);
        Assert.Equal(["Seccomp:\t0"], unconfined);
    }

    [Fact]
    public async Task No_network_mode_has_only_loopback_and_host_mode_sees_the_hosts_interfaces()
    {
        static string[] Interfaces(IEnumerable<string> procNetDev) =>
            [.. procNetDev.Where(l => l.Contains(':')).Select(l => l.Split(':')[0].Trim()).Order(StringComparer.Ordinal)];

        var (_, isolated) = await _sandbox.RunAsync(_sandbox.Spec("cat", "/proc/net/dev"));
        var (_, shared) = await _sandbox.RunAsync(_sandbox.Spec("cat", "/proc/net/dev") with { Network = NetworkMode.Host });

        Assert.Equal(["lo"], Interfaces(isolated));
        Assert.Equal(Interfaces(File.ReadLines("/proc/net/dev")), Interfaces(shared));
    }

    [Fact]
    public async Task Cancellation_kills_the_container_and_cleans_up()
    {
        using var cts = new CancellationTokenSource();
        var output = new RunOutput((_, line) =>
        {
            if (line == "started")
                cts.Cancel();
        });
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => _sandbox.Runner().RunAsync(_sandbox.Spec("sh", "-c", "echo started; sleep 100"), output, cts.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"cancellation took {clock.Elapsed}");
        Assert.True(_sandbox.WorkDirectoryIsEmpty());
        Assert.Equal(["bin", "dev", "proc", "sys"], _sandbox.RootEntries());
        // The pid namespace went with its init: the sleep did not survive on the host.
        Assert.DoesNotContain(HostCommandLines(), cmdline => cmdline == "sleep\0" + "100\0");
    }

    private static IEnumerable<string> HostCommandLines()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => Path.GetFileName(d).All(char.IsAsciiDigit)))
        {
            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Join(dir, "cmdline"));
            }
            catch (IOException)
            {
                continue;
            }
            yield return cmdline;
        }
    }

    [Fact]
    public async Task A_missing_executable_is_a_runtime_error_with_the_runtimes_message()
    {
        var error = await Assert.ThrowsAsync<SbuildException>(() => _sandbox.RunAsync(_sandbox.Spec("no-such-program")));

        Assert.Equal(ErrorCode.RuntimeFailed, error.Code);
        Assert.Contains("no-such-program", error.Message);
        Assert.StartsWith("runc", error.Message);
        Assert.True(_sandbox.WorkDirectoryIsEmpty());
    }

    [Fact]
    public async Task Concurrent_runs_sharing_a_work_directory_do_not_collide()
    {
        // One rootfs per run, as in a build (each RUN has its own snapshot); one runner and work directory for all.
        var runner = _sandbox.Runner();
        var runs = Enumerable.Range(0, 4).Select(async i =>
        {
            var lines = new List<string>();
            var spec = _sandbox.Spec("sh", "-c", $"echo {i} > /out; cat /out") with { RootfsPath = _sandbox.CreateRootfs($"rootfs{i}") };
            await runner.RunAsync(spec, new RunOutput((_, line) => lines.Add(line)), CancellationToken.None);
            return (Lines: lines, Written: File.ReadAllText(Path.Join(spec.RootfsPath, "out")));
        });

        var results = await Task.WhenAll(runs);

        Assert.Equal(["0", "1", "2", "3"], results.Select(r => Assert.Single(r.Lines)));
        Assert.Equal(["0\n", "1\n", "2\n", "3\n"], results.Select(r => r.Written));
        Assert.True(_sandbox.WorkDirectoryIsEmpty());
    }

    [Fact]
    public async Task A_missing_rootfs_is_reported_before_anything_runs()
    {
        var error = await Assert.ThrowsAsync<SbuildException>(
            () => _sandbox.RunAsync(_sandbox.Spec("true") with { RootfsPath = Path.Join(_sandbox.Root, "nope") }));

        Assert.Equal(ErrorCode.RuntimeFailed, error.Code);
        Assert.Contains("does not exist", error.Message);
    }
}
