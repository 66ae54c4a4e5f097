using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// A static program that calls syscalls Docker's default seccomp profile refuses to an unprivileged container and
/// prints what each returned. busybox has <c>unshare</c> but no <c>keyctl</c>, so keyctl(2) is called directly.
/// </summary>
internal static class SeccompProbe
{
    private const string Source = """
        #include <stdio.h>
        #include <string.h>
        #include <errno.h>
        #include <unistd.h>
        #include <sys/syscall.h>
        int main(void) {
            /* KEYCTL_GET_KEYRING_ID (0) of KEY_SPEC_SESSION_KEYRING (-3): the runtime gives each container a session keyring. */
            long id = syscall(SYS_keyctl, 0, -3, 0);
            printf("keyctl: %s\n", id >= 0 ? "allowed" : strerror(errno));
            return 0;
        }
        """;

    /// <summary>Compiles the probe to <c>seccomp-probe</c> in <paramref name="directory"/> and returns its path.</summary>
    public static async Task<string> BuildAsync(TempDirectory directory)
    {
        var gcc = Tools.Require("gcc", "apt-get install gcc libc6-dev (scripts/setup installs them)");
        File.WriteAllText(directory.Combine("seccomp-probe.c"), Source);
        await ProcessRunner.RunAsync(gcc, ["-static", "-O2", "-o", directory.Combine("seccomp-probe"), directory.Combine("seccomp-probe.c")], CancellationToken.None);
        return directory.Combine("seccomp-probe");
    }

    /// <summary>A RUN that reports instead of failing: the probe, busybox's <c>unshare -U -r</c> and the kernel's seccomp mode.</summary>
    public const string Report = "{ /seccomp-probe; unshare -U -r true && echo 'unshare: allowed'; grep '^Seccomp:' /proc/self/status; }";
}

/// <summary>
/// Every RUN has Docker's default seccomp profile, as in <c>docker build</c>: unshare and keyctl fail with EPERM
/// ("Operation not permitted") for a step with the default capabilities; <c>--security-opt seccomp=unconfined</c> and
/// privileged steps have no filter; <c>seccomp=PROFILE.json</c> is a profile of one's own.
/// </summary>
public sealed class RunSeccompTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    [Fact]
    public async Task The_default_profile_refuses_unshare_and_keyctl_and_unconfined_allows_them()
    {
        using var context = new TempDirectory("sbuild-seccomp-");
        File.Copy(await SeccompProbe.BuildAsync(context), context.Combine("probe"));
        File.WriteAllText(context.Combine("Dockerfile"), $"""
            FROM busybox
            COPY probe /seccomp-probe
            RUN {SeccompProbe.Report}
            RUN echo ordinary step && chroot / true && echo chroot allowed
            """);

        var confined = PlainProgressLog.Output((await sbuild.RunAsync(["--progress", "plain", context.Path])).StandardError);
        Assert.Contains("keyctl: Operation not permitted", confined);
        Assert.Contains("unshare: unshare(0x10000000): Operation not permitted", confined);
        Assert.DoesNotContain("unshare: allowed", confined);
        Assert.Contains("Seccomp:\t2", confined); // SECCOMP_MODE_FILTER
        // What the profile allows still works, including chroot, which it grants with CAP_SYS_CHROOT (a default capability).
        Assert.Contains("ordinary step", confined);
        Assert.Contains("chroot allowed", confined);

        // The filter is not part of the cache key (as buildkitd's own setting is not), so the steps must run again.
        var unconfined = PlainProgressLog.Output((await sbuild.RunAsync(["--progress", "plain", "--no-cache", "--security-opt", "seccomp=unconfined", context.Path])).StandardError);
        Assert.Contains("keyctl: allowed", unconfined);
        Assert.Contains("unshare: allowed", unconfined);
        Assert.Contains("Seccomp:\t0", unconfined);
    }

    /// <summary>A RUN cannot mount: not directly (no CAP_SYS_ADMIN, as in docker build), and not inside a user namespace
    /// of its own, which would grant it one (unshare is refused by the profile).</summary>
    [Fact]
    public async Task A_run_cannot_mount_directly_or_in_a_user_namespace_of_its_own()
    {
        using var context = new TempDirectory("sbuild-seccomp-");
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM busybox
            RUN mount -t tmpfs none /mnt; echo "direct mount: $?"; unshare -U -r -m sh -c 'mount -t tmpfs none /mnt && echo mounted inside'; echo "namespace mount: $?"
            """);

        var output = string.Join("\n", PlainProgressLog.Output((await sbuild.RunAsync(["--progress", "plain", "--no-cache", context.Path])).StandardError));

        Assert.Matches("direct mount: [1-9]", output);
        Assert.Matches("namespace mount: [1-9]", output);
        Assert.DoesNotContain("mounted inside", output);
    }

    [Fact]
    public async Task A_privileged_step_has_no_filter()
    {
        using var context = new TempDirectory("sbuild-seccomp-insecure-");
        File.Copy(await SeccompProbe.BuildAsync(context), context.Combine("probe"));
        File.WriteAllText(context.Combine("Dockerfile"), $"""
            FROM busybox
            COPY probe /seccomp-probe
            RUN --security=insecure {SeccompProbe.Report}
            """);

        var output = PlainProgressLog.Output((await sbuild.RunAsync(["--progress", "plain", "--allow", "security.insecure", context.Path])).StandardError);
        Assert.Contains("keyctl: allowed", output);
        Assert.Contains("unshare: allowed", output);
        Assert.Contains("Seccomp:\t0", output);
    }

    [Fact]
    public async Task A_profile_file_replaces_the_default_and_bad_options_are_refused()
    {
        using var context = new TempDirectory("sbuild-seccomp-custom-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN chroot / true && echo chroot allowed\n");
        File.WriteAllText(context.Combine("no-chroot.json"), """
            {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["chroot"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
            """);
        var custom = await sbuild.RunAsync(["--progress", "plain", "--security-opt", $"seccomp={context.Combine("no-chroot.json")}", context.Path], allowFailure: true);
        Assert.NotEqual(0, custom.ExitCode);
        Assert.Contains("chroot: can't change root directory to '/': Operation not permitted", PlainProgressLog.Output(custom.StandardError));

        var other = await sbuild.RunAsync(["--security-opt", "apparmor=unconfined", context.Path], allowFailure: true);
        Assert.NotEqual(0, other.ExitCode);
        Assert.Contains("--security-opt \"apparmor=unconfined\": must be seccomp=unconfined or seccomp=PROFILE.json", other.StandardError);

        var missing = context.Combine("missing.json");
        var absent = await sbuild.RunAsync(["--security-opt", $"seccomp={missing}", context.Path], allowFailure: true);
        Assert.NotEqual(0, absent.ExitCode);
        Assert.Contains($"error[SB9001]: --security-opt \"seccomp={missing}\": cannot read the seccomp profile {missing}", absent.StandardError);
        Assert.DoesNotContain("   at ", absent.StandardError);

        File.WriteAllText(context.Combine("broken.json"), """{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"]}]}""");
        var broken = await sbuild.RunAsync(["--security-opt", $"seccomp={context.Combine("broken.json")}", context.Path], allowFailure: true);
        Assert.NotEqual(0, broken.ExitCode);
        Assert.Contains($"--security-opt \"seccomp={context.Combine("broken.json")}\": seccomp profile {context.Combine("broken.json")} is not a valid profile", broken.StandardError);
        Assert.Contains("action", broken.StandardError);
    }
}

/// <summary>The same probe under the reference BuildKit: the RUN's report file (and the rest of the image) must be the same.</summary>
[Collection(OracleCollection.Name)]
public sealed class RunSeccompParityTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    [Fact]
    public async Task Unshare_and_keyctl_fail_as_they_do_under_buildkit()
    {
        using var probe = new TempDirectory("sbuild-seccomp-parity-");
        var differences = await new BuildKitParity(sbuild).CompareAsync($"""
            FROM busybox
            COPY probe /seccomp-probe
            RUN {SeccompProbe.Report} > /seccomp.txt 2>&1
            """, extraContextFiles: new Dictionary<string, string> { ["probe"] = await SeccompProbe.BuildAsync(probe) });
        BuildKitParity.AssertSame(differences);
    }
}
