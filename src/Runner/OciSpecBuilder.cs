using System.Text.Json;

namespace Sbuild.Runner;

/// <summary>Files the runner writes into the bundle and bind-mounts read-only into the container.</summary>
public sealed record BundleFiles(string HostsFile, string ResolvConfFile);

/// <summary>RunSpec → OCI runtime config.json. A pure function: the same inputs give the same bytes.
/// Defaults follow what BuildKit (via containerd's default spec) gives a RUN step in docker build. The seccomp profile's
/// conditions are evaluated for this host's architecture and kernel.</summary>
public static class OciSpecBuilder
{
    public const string OciVersion = "1.0.2";

    /// <summary>Docker's default capability set (containerd <c>oci.defaultUnixCaps</c>).</summary>
    public static IReadOnlyList<string> DefaultCapabilities { get; } =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ];

    /// <summary>Every capability Linux defines (as of 5.9), in number order: what a privileged (<c>RUN --security=insecure</c>) step may hold.</summary>
    public static IReadOnlyList<string> AllCapabilities { get; } =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ];

    /// <summary>Paths hidden from the container (containerd/Docker defaults).</summary>
    public static IReadOnlyList<string> MaskedPaths { get; } =
    [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/sys/devices/virtual/powercap", "/proc/scsi",
    ];

    public static IReadOnlyList<string> ReadonlyPaths { get; } =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    /// <summary>Open-files limit (soft and hard) that docker build's RUN sees: dockerd's unit sets LimitNOFILE=1048576
    /// and build containers inherit it. Set explicitly so RUN does not depend on the shell sbuild was started from.</summary>
    public const ulong DockerOpenFilesLimit = 1048576;

    /// <summary>The cgroup (relative to each hierarchy root) the runtime creates for a container.</summary>
    public static string CgroupsPath(string containerId) => $"/sbuild/{containerId}";

    /// <param name="openFilesLimit">RLIMIT_NOFILE for the process; the runtime fails to start the container when
    /// it exceeds what the caller may grant (see <see cref="ContainerRunner"/>, which clamps it).</param>
    /// <param name="grantableCapabilities">Bit mask of the capabilities this process may hand on (its bounding set): a
    /// privileged step gets all of those it knows, as containerd's WithAllCurrentCapabilities does.</param>
    /// <param name="cgroups">The cgroup controllers of this host: a limit whose controller is missing is left out
    /// (the runtime would fail the step), except a memory limit, which the caller refuses first.</param>
    public static byte[] Build(RunSpec spec, string containerId, BundleFiles files, ulong openFilesLimit = DockerOpenFilesLimit,
        ulong grantableCapabilities = ulong.MaxValue, CgroupSupport? cgroups = null)
    {
        cgroups ??= CgroupSupport.All;
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Args.Count == 0)
            throw new ArgumentException("a RUN step needs at least one argument", nameof(spec));
        if (!spec.Cwd.StartsWith('/') || !spec.RootfsPath.StartsWith('/'))
            throw new ArgumentException("the working directory and the rootfs path must be absolute", nameof(spec));

        IReadOnlyList<string> capabilities = spec.Privileged
            ? AllCapabilities.Where((_, bit) => (grantableCapabilities & 1UL << bit) != 0).ToList()
            : DefaultCapabilities;
        var document = new RuntimeSpec
        {
            OciVersion = OciVersion,
            Process = new ProcessSpec
            {
                Terminal = spec.Terminal,
                User = new UserSpec
                {
                    Uid = spec.User.Uid,
                    Gid = spec.User.Gid,
                    AdditionalGids = spec.User.AdditionalGids.Count == 0 ? null : spec.User.AdditionalGids,
                },
                Args = spec.Args,
                Env = spec.Terminal ? WithTerm(spec.Env) : spec.Env,
                Cwd = spec.Cwd,
                Capabilities = new CapabilitiesSpec
                {
                    Bounding = capabilities,
                    Effective = capabilities,
                    Permitted = capabilities,
                },
                Rlimits = [new RlimitSpec { Type = "RLIMIT_NOFILE", Hard = openFilesLimit, Soft = openFilesLimit }],
                // BuildKit allows setuid binaries (sudo, su) in RUN.
                NoNewPrivileges = false,
            },
            Root = new RootSpec { Path = spec.RootfsPath, Readonly = false },
            Hostname = spec.Hostname,
            Mounts = Mounts(spec, files),
            Linux = new LinuxSpec
            {
                CgroupsPath = CgroupsPath(containerId),
                // Deny all device access; runc and crun then allow their default set (null, zero, tty, ...). A privileged
                // step may use any device, and sees /proc and /sys unmasked and writable (oci.WithPrivileged).
                Resources = new ResourcesSpec
                {
                    Devices = [new DeviceRuleSpec { Allow = spec.Privileged, Access = "rwm" }],
                    Pids = spec.Limits.Pids is > 0 and var pids && cgroups.Pids ? new PidsSpec { Limit = pids } : null,
                    Memory = spec.Limits.Memory is { } memory && cgroups.Memory
                        ? new MemorySpec { Limit = memory, Swap = cgroups.Swap ? memory : null }
                        : null,
                },
                Namespaces = Namespaces(spec.Network),
                MaskedPaths = spec.Privileged ? [] : MaskedPaths,
                ReadonlyPaths = spec.Privileged ? [] : ReadonlyPaths,
                // As docker --privileged and BuildKit's insecure mode: a privileged step has no syscall filter.
                Seccomp = spec.Privileged ? null : spec.Seccomp?.For(capabilities),
            },
        };
        return JsonSerializer.SerializeToUtf8Bytes(document, RuntimeSpecJsonContext.Default.RuntimeSpec);
    }

    /// <summary>A process with a terminal gets <c>TERM=xterm</c> unless its env sets TERM, as docker run -t gives it.</summary>
    private static IReadOnlyList<string> WithTerm(IReadOnlyList<string> env) =>
        env.Any(e => e.StartsWith("TERM=", StringComparison.Ordinal)) ? env : [.. env, "TERM=xterm"];

    private static IReadOnlyList<NamespaceSpec> Namespaces(NetworkMode network)
    {
        var types = new List<string> { "pid", "ipc", "uts", "mount" };
        if (network == NetworkMode.None)
            types.Add("network");
        return types.ConvertAll(type => new NamespaceSpec { Type = type });
    }

    private static List<MountSpec> Mounts(RunSpec spec, BundleFiles files)
    {
        string[] noSuidExecDev = ["nosuid", "noexec", "nodev"];
        var defaults = new List<MountSpec>
        {
            new() { Destination = "/proc", Type = "proc", Source = "proc" },
            new()
            {
                Destination = "/dev", Type = "tmpfs", Source = "tmpfs",
                Options = ["nosuid", "strictatime", "mode=755", "size=65536k"],
            },
            new()
            {
                Destination = "/dev/pts", Type = "devpts", Source = "devpts",
                Options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
            },
            new()
            {
                Destination = "/dev/shm", Type = "tmpfs", Source = "shm",
                Options = [.. noSuidExecDev, "mode=1777", "size=65536k"],
            },
            new() { Destination = "/dev/mqueue", Type = "mqueue", Source = "mqueue", Options = noSuidExecDev },
            new() { Destination = "/sys", Type = "sysfs", Source = "sysfs", Options = spec.Privileged ? noSuidExecDev : [.. noSuidExecDev, "ro"] },
            ReadOnlyFile(files.ResolvConfFile, "/etc/resolv.conf"),
            ReadOnlyFile(files.HostsFile, "/etc/hosts"),
            new() { Destination = "/sys/fs/cgroup", Type = "cgroup", Source = "cgroup", Options = spec.Privileged ? noSuidExecDev : ["ro", .. noSuidExecDev] },
        };

        // A caller's mount replaces a default one at the same place (as BuildKit's dedupMounts does).
        var callerDestinations = spec.Mounts.Select(m => m.Destination).Concat(spec.Tmpfs.Select(m => m.Destination))
            .Select(NormalizeDestination).ToHashSet(StringComparer.Ordinal);
        defaults.RemoveAll(m => callerDestinations.Contains(m.Destination));
        defaults.AddRange(spec.Mounts.Select(m => new MountSpec
        {
            Destination = NormalizeDestination(m.Destination),
            Type = "bind",
            Source = m.Source,
            Options = m.ReadOnly ? ["rbind", "ro"] : ["rbind"],
        }));
        defaults.AddRange(spec.Tmpfs.Select(m => new MountSpec
        {
            Destination = NormalizeDestination(m.Destination),
            Type = "tmpfs",
            Source = "tmpfs",
            Options = m.Size is { } size ? ["nosuid", "nodev", "mode=1777", $"size={size}"] : ["nosuid", "nodev", "mode=1777"],
        }));
        return defaults;
    }

    private static MountSpec ReadOnlyFile(string source, string destination) => new()
    {
        Destination = destination,
        Type = "bind",
        Source = source,
        Options = ["nosuid", "noexec", "nodev", "rbind", "ro"],
    };

    /// <summary>Lexically cleans a container path: "a//b/./c/../" means "/a/b" (".." never climbs above "/").</summary>
    internal static string NormalizeDestination(string destination)
    {
        var parts = new List<string>();
        foreach (var part in destination.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
                continue;
            if (part == "..")
            {
                if (parts.Count > 0)
                    parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }
}
