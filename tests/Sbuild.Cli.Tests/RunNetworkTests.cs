using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>RUN reaches the network as in docker build (the host's namespace); --network=none gives loopback only.</summary>
public sealed class RunNetworkTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    [Fact]
    public async Task A_process_a_run_leaves_in_the_background_does_not_outlive_the_step()
    {
        using var context = new TempDirectory("sbuild-orphan-");
        var marker = 5000 + Random.Shared.Next(900);
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM busybox\nRUN (sleep {marker} &) ; echo backgrounded\n");
        var build = await sbuild.RunAsync(["--progress", "plain", context.Path]);
        Assert.Contains("backgrounded", build.StandardError);
        var left = await ProcessRunner.RunAsync("pgrep", ["-f", $"sleep {marker}"], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        Assert.Equal(1, left.ExitCode); // pgrep found nothing: the step's pid namespace took it down
    }

    [Fact]
    public async Task Run_reaches_a_server_on_the_host_by_default_and_not_with_network_none()
    {
        using var server = new TestHttpServer().Serve("/pkg.txt", new TestResponse(200, "package contents\n"u8.ToArray()));
        using var context = new TempDirectory("sbuild-network-");
        var fetch = $"wget -q -O /pkg.txt {server.Url("/pkg.txt")} && cat /pkg.txt";
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM busybox\nRUN {fetch}\n");
        var byDefault = await sbuild.RunAsync(["--progress", "plain", context.Path]);
        Assert.Contains("package contents", byDefault.StandardError);
        Assert.Contains("/pkg.txt", server.Requests);

        var noneFlag = await sbuild.RunAsync(["--progress", "plain", "--network", "none", "--no-cache", context.Path], allowFailure: true);
        Assert.NotEqual(0, noneFlag.ExitCode);
        Assert.Contains("RUN failed with exit code", noneFlag.StandardError);

        File.WriteAllText(context.Combine("Dockerfile"), $"FROM busybox\nRUN --network=none {fetch}\n");
        var noneInstruction = await sbuild.RunAsync(["--progress", "plain", context.Path], allowFailure: true);
        Assert.NotEqual(0, noneInstruction.ExitCode);

        // none: a namespace of its own with loopback only.
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN --network=none ls /sys/class/net\n");
        var interfaces = await sbuild.RunAsync(["--progress", "plain", context.Path]);
        Assert.Matches(@"(?m)^#\d+ [\d.]+ lo$", interfaces.StandardError);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(interfaces.StandardError, @"(?m)^#\d+ [\d.]+ \S+$"));

        // The container sees the host's resolver configuration and BuildKit's /etc/hosts with its hostname.
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN cat /etc/hosts && hostname && test -s /etc/resolv.conf\n");
        var files = await sbuild.RunAsync(["--progress", "plain", context.Path]);
        Assert.Contains("127.0.0.1\tlocalhost buildkitsandbox", files.StandardError);

        var bad = await sbuild.RunAsync(["--network", "bridge", context.Path], allowFailure: true);
        Assert.Contains("--network \"bridge\": must be default, host or none", bad.StandardError);
    }
}

/// <summary>RUN --security=insecure: refused unless the build allows it, then privileged (every capability).</summary>
public sealed class RunSecurityTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    [Fact]
    public async Task Insecure_runs_need_the_entitlement_and_then_hold_every_capability()
    {
        using var context = new TempDirectory("sbuild-insecure-");
        File.WriteAllText(context.Combine("Dockerfile"),
            "FROM busybox\nRUN grep CapEff /proc/self/status\nRUN --security=insecure grep CapEff /proc/self/status && mkdir -p /m && mount -t tmpfs none /m && echo mounted\n");
        var refused = await sbuild.RunAsync([context.Path], allowFailure: true);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("RUN --security=insecure needs the entitlement: build with --allow security.insecure", refused.StandardError);
        Assert.Matches(@":3:", refused.StandardError);

        var allowed = await sbuild.RunAsync(["--progress", "plain", "--allow", "security.insecure", context.Path]);
        Assert.Contains("CapEff:\t00000000a80425fb", allowed.StandardError); // docker's default set for the sandboxed RUN
        // The insecure one: every capability sbuild itself may grant (its bounding set; a VM may withhold some).
        var bounds = File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("CapBnd:", StringComparison.Ordinal))["CapBnd:".Length..].Trim();
        Assert.Contains($"CapEff:\t{bounds}", allowed.StandardError);
        Assert.Contains("mounted", allowed.StandardError);
    }
}
