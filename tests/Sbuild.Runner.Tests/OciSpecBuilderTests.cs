using System.Runtime.InteropServices;
using System.Text.Json;

namespace Sbuild.Runner.Tests;

public class OciSpecBuilderTests
{
    private static readonly BundleFiles Files = new("/bundle/hosts", "/bundle/resolv.conf");

    private static RunSpec Spec() => new()
    {
        RootfsPath = "/var/lib/sbuild/mnt/rootfs",
        Args = ["/bin/sh", "-c", "make install"],
        Env = ["PATH=/usr/bin:/bin", "FOO=bar baz"],
        Cwd = "/src",
        User = new RunUser(1000, 100, [27, 44]),
    };

    private static JsonElement Build(RunSpec spec) =>
        JsonDocument.Parse(OciSpecBuilder.Build(spec, "sbuild-0123", Files)).RootElement;

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    private static JsonElement Mount(JsonElement spec, string destination) =>
        spec.GetProperty("mounts").EnumerateArray().Single(m => m.GetProperty("destination").GetString() == destination);

    [Fact]
    public void A_terminal_process_gets_TERM_xterm_unless_its_env_sets_TERM_as_docker_run_t()
    {
        var terminal = Build(Spec() with { InheritStandardStreams = true, Terminal = true }).GetProperty("process");
        Assert.True(terminal.GetProperty("terminal").GetBoolean());
        Assert.Equal(["PATH=/usr/bin:/bin", "FOO=bar baz", "TERM=xterm"], Strings(terminal.GetProperty("env")));

        var own = Build(Spec() with { Env = ["TERM=vt100"], InheritStandardStreams = true, Terminal = true }).GetProperty("process");
        Assert.Equal(["TERM=vt100"], Strings(own.GetProperty("env")));
    }

    [Fact]
    public void Process_carries_the_specs_args_env_cwd_and_user()
    {
        var process = Build(Spec()).GetProperty("process");

        Assert.False(process.GetProperty("terminal").GetBoolean());
        Assert.Equal(["/bin/sh", "-c", "make install"], Strings(process.GetProperty("args")));
        Assert.Equal(["PATH=/usr/bin:/bin", "FOO=bar baz"], Strings(process.GetProperty("env")));
        Assert.Equal("/src", process.GetProperty("cwd").GetString());
        var user = process.GetProperty("user");
        Assert.Equal(1000u, user.GetProperty("uid").GetUInt32());
        Assert.Equal(100u, user.GetProperty("gid").GetUInt32());
        Assert.Equal([27u, 44u], user.GetProperty("additionalGids").EnumerateArray().Select(g => g.GetUInt32()));
        // setuid programs (sudo, su, ping) must work in RUN, as in docker build.
        Assert.False(process.GetProperty("noNewPrivileges").GetBoolean());
    }

    [Fact]
    public void Additional_gids_are_left_out_when_there_are_none()
    {
        var user = Build(Spec() with { User = RunUser.Root }).GetProperty("process").GetProperty("user");

        Assert.False(user.TryGetProperty("additionalGids", out _));
        Assert.Equal(0u, user.GetProperty("uid").GetUInt32());
    }

    [Fact]
    public void Capabilities_are_dockers_default_fourteen_in_every_set()
    {
        string[] docker =
        [
            "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_MKNOD",
            "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT",
        ];
        var capabilities = Build(Spec()).GetProperty("process").GetProperty("capabilities");

        foreach (var set in (string[])["bounding", "effective", "permitted"])
            Assert.Equal(docker, Strings(capabilities.GetProperty(set)).Order(StringComparer.Ordinal));
        Assert.False(capabilities.TryGetProperty("ambient", out _));
    }

    [Fact]
    public void Open_files_limit_is_set_explicitly()
    {
        var rlimit = Assert.Single(Build(Spec()).GetProperty("process").GetProperty("rlimits").EnumerateArray());

        Assert.Equal("RLIMIT_NOFILE", rlimit.GetProperty("type").GetString());
        Assert.Equal(1048576ul, rlimit.GetProperty("soft").GetUInt64());
        Assert.Equal(1048576ul, rlimit.GetProperty("hard").GetUInt64());
    }

    [Fact]
    public void Open_files_limit_can_be_lowered_by_the_caller()
    {
        var spec = JsonDocument.Parse(OciSpecBuilder.Build(Spec(), "sbuild-1", Files, openFilesLimit: 20000)).RootElement;

        var rlimit = Assert.Single(spec.GetProperty("process").GetProperty("rlimits").EnumerateArray());
        Assert.Equal(20000ul, rlimit.GetProperty("hard").GetUInt64());
    }

    [Fact]
    public void Root_is_the_writable_rootfs_and_hostname_defaults_to_buildkits()
    {
        var spec = Build(Spec());

        Assert.Equal("/var/lib/sbuild/mnt/rootfs", spec.GetProperty("root").GetProperty("path").GetString());
        Assert.False(spec.GetProperty("root").GetProperty("readonly").GetBoolean());
        Assert.Equal("buildkitsandbox", spec.GetProperty("hostname").GetString());
        Assert.Equal("1.0.2", spec.GetProperty("ociVersion").GetString());
        Assert.Equal("/sbuild/sbuild-0123", spec.GetProperty("linux").GetProperty("cgroupsPath").GetString());
    }

    [Fact]
    public void Default_mounts_are_buildkits_in_order()
    {
        var spec = Build(Spec());

        Assert.Equal(
            ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/etc/resolv.conf", "/etc/hosts", "/sys/fs/cgroup"],
            spec.GetProperty("mounts").EnumerateArray().Select(m => m.GetProperty("destination").GetString()));
        Assert.Equal("proc", Mount(spec, "/proc").GetProperty("type").GetString());
        Assert.Equal("tmpfs", Mount(spec, "/dev").GetProperty("type").GetString());
        Assert.Equal("devpts", Mount(spec, "/dev/pts").GetProperty("type").GetString());
        Assert.Equal("mqueue", Mount(spec, "/dev/mqueue").GetProperty("type").GetString());
        Assert.Equal("sysfs", Mount(spec, "/sys").GetProperty("type").GetString());
        Assert.Equal(["nosuid", "noexec", "nodev", "ro"], Strings(Mount(spec, "/sys").GetProperty("options")));
        Assert.Contains("ro", Strings(Mount(spec, "/sys/fs/cgroup").GetProperty("options")));
    }

    [Fact]
    public void Hosts_and_resolv_conf_are_read_only_binds_of_the_bundle_files()
    {
        var spec = Build(Spec());

        foreach (var (destination, source) in new[] { ("/etc/hosts", Files.HostsFile), ("/etc/resolv.conf", Files.ResolvConfFile) })
        {
            var mount = Mount(spec, destination);
            Assert.Equal("bind", mount.GetProperty("type").GetString());
            Assert.Equal(source, mount.GetProperty("source").GetString());
            Assert.Contains("rbind", Strings(mount.GetProperty("options")));
            Assert.Contains("ro", Strings(mount.GetProperty("options")));
        }
    }

    [Fact]
    public void Caller_mounts_come_last_and_replace_a_default_at_the_same_place()
    {
        var spec = Build(Spec() with
        {
            Mounts = [new BindMount("/cache/apt", "/var/cache/apt/", ReadOnly: false), new BindMount("/my/hosts", "/etc//hosts", ReadOnly: true)],
        });

        var mounts = spec.GetProperty("mounts").EnumerateArray().ToList();
        Assert.Equal(["/var/cache/apt", "/etc/hosts"], mounts[^2..].Select(m => m.GetProperty("destination").GetString()));
        Assert.Single(mounts, m => m.GetProperty("destination").GetString() == "/etc/hosts");
        Assert.Equal(["rbind"], Strings(mounts[^2].GetProperty("options")));
        Assert.Equal(["rbind", "ro"], Strings(mounts[^1].GetProperty("options")));
        Assert.Equal("/my/hosts", mounts[^1].GetProperty("source").GetString());
    }

    [Theory]
    [InlineData(NetworkMode.None, new[] { "pid", "ipc", "uts", "mount", "network" })]
    [InlineData(NetworkMode.Host, new[] { "pid", "ipc", "uts", "mount" })]
    public void Namespaces_share_the_host_network_only_in_host_mode(NetworkMode network, string[] expected)
    {
        var namespaces = Build(Spec() with { Network = network }).GetProperty("linux").GetProperty("namespaces");

        Assert.Equal(expected, namespaces.EnumerateArray().Select(n => n.GetProperty("type").GetString()));
    }

    [Fact]
    public void Kernel_interfaces_are_masked_or_read_only_and_devices_denied_by_default()
    {
        var linux = Build(Spec()).GetProperty("linux");

        Assert.Contains("/proc/kcore", Strings(linux.GetProperty("maskedPaths")));
        Assert.Contains("/sys/firmware", Strings(linux.GetProperty("maskedPaths")));
        Assert.Contains("/proc/sys", Strings(linux.GetProperty("readonlyPaths")));
        Assert.Contains("/proc/sysrq-trigger", Strings(linux.GetProperty("readonlyPaths")));
        var rule = Assert.Single(linux.GetProperty("resources").GetProperty("devices").EnumerateArray());
        Assert.False(rule.GetProperty("allow").GetBoolean());
        Assert.Equal("rwm", rule.GetProperty("access").GetString());
    }

    [Fact]
    public void Seccomp_is_dockers_default_profile_for_this_hosts_abis()
    {
        var seccomp = Build(Spec()).GetProperty("linux").GetProperty("seccomp");

        Assert.Equal("SCMP_ACT_ERRNO", seccomp.GetProperty("defaultAction").GetString());
        string[]? abis = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            Architecture.Arm64 => ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
            _ => null,
        };
        if (abis is not null)
            Assert.Equal(abis, Strings(seccomp.GetProperty("architectures")));
        var allowed = seccomp.GetProperty("syscalls").EnumerateArray()
            .Where(rule => rule.GetProperty("action").GetString() == "SCMP_ACT_ALLOW")
            .SelectMany(rule => Strings(rule.GetProperty("names"))).ToHashSet();
        Assert.Contains("execve", allowed);
        Assert.DoesNotContain("unshare", allowed);
        Assert.DoesNotContain("keyctl", allowed);
    }

    [Fact]
    public void Privileged_and_unconfined_steps_have_no_seccomp_filter()
    {
        Assert.False(Build(Spec() with { Privileged = true }).GetProperty("linux").TryGetProperty("seccomp", out _));
        Assert.False(Build(Spec() with { Seccomp = null }).GetProperty("linux").TryGetProperty("seccomp", out _));
    }

    [Fact]
    public void Every_run_gets_the_pids_limit_and_memory_only_when_asked_with_swap_where_the_host_limits_it()
    {
        var resources = Build(Spec()).GetProperty("linux").GetProperty("resources");
        Assert.Equal(4096, resources.GetProperty("pids").GetProperty("limit").GetInt64());
        Assert.False(resources.TryGetProperty("memory", out _));

        var limited = JsonDocument.Parse(OciSpecBuilder.Build(Spec() with { Limits = RunLimits.Default with { Memory = 32 << 20 } }, "sbuild-1", Files)).RootElement;
        var memory = limited.GetProperty("linux").GetProperty("resources").GetProperty("memory");
        Assert.Equal(32 << 20, memory.GetProperty("limit").GetInt64());
        Assert.Equal(32 << 20, memory.GetProperty("swap").GetInt64()); // memory + swap: no swap beyond the limit

        var unlimited = Build(Spec() with { Limits = new RunLimits(Pids: null, Memory: null) }).GetProperty("linux").GetProperty("resources");
        Assert.False(unlimited.TryGetProperty("pids", out _));

        var noSwapAccounting = JsonDocument.Parse(OciSpecBuilder.Build(Spec() with { Limits = RunLimits.Default with { Memory = 32 << 20 } }, "sbuild-1", Files,
            cgroups: new CgroupSupport(Pids: false, Memory: true, Swap: false))).RootElement.GetProperty("linux").GetProperty("resources");
        Assert.False(noSwapAccounting.GetProperty("memory").TryGetProperty("swap", out _));
        Assert.False(noSwapAccounting.TryGetProperty("pids", out _));
    }

    [Fact]
    public void Same_spec_gives_the_same_bytes()
    {
        Assert.Equal(OciSpecBuilder.Build(Spec(), "sbuild-1", Files), OciSpecBuilder.Build(Spec(), "sbuild-1", Files));
    }

    [Fact]
    public void A_spec_without_args_or_with_relative_paths_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => OciSpecBuilder.Build(Spec() with { Args = [] }, "sbuild-1", Files));
        Assert.Throws<ArgumentException>(() => OciSpecBuilder.Build(Spec() with { Cwd = "src" }, "sbuild-1", Files));
        Assert.Throws<ArgumentException>(() => OciSpecBuilder.Build(Spec() with { RootfsPath = "rootfs" }, "sbuild-1", Files));
    }

    [Theory]
    [InlineData("/a/b/", "/a/b")]
    [InlineData("a//b/./c/..", "/a/b")]
    [InlineData("/../../etc", "/etc")]
    [InlineData("/", "/")]
    public void Mount_destinations_are_cleaned_lexically(string destination, string expected)
    {
        Assert.Equal(expected, OciSpecBuilder.NormalizeDestination(destination));
    }
}
