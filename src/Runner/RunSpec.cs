using Sbuild.Runner.Seccomp;

namespace Sbuild.Runner;

/// <summary>What one RUN step executes and in which sandbox. The caller owns <see cref="RootfsPath"/>
/// (an already-mounted overlay or plain directory); the runner only runs a container on top of it.</summary>
public sealed record RunSpec
{
    /// <summary>BuildKit's hostname for build containers, so <c>hostname</c> in RUN prints what docker build prints.</summary>
    public const string DefaultHostname = "buildkitsandbox";

    /// <summary>Absolute path of the container's root directory on the host.</summary>
    public required string RootfsPath { get; init; }

    /// <summary>argv; <c>Args[0]</c> is looked up in the PATH of <see cref="Env"/> by the runtime.</summary>
    public required IReadOnlyList<string> Args { get; init; }

    /// <summary>"KEY=value" entries, passed as is (the caller adds PATH when the image has none).</summary>
    public IReadOnlyList<string> Env { get; init; } = [];

    /// <summary>Working directory inside the container; the runtime creates it when missing.</summary>
    public string Cwd { get; init; } = "/";

    public RunUser User { get; init; } = RunUser.Root;

    public string Hostname { get; init; } = DefaultHostname;

    public NetworkMode Network { get; init; } = NetworkMode.None;

    /// <summary>Extra lines for /etc/hosts (like <c>--add-host</c>), after the localhost entries.</summary>
    public IReadOnlyList<HostEntry> ExtraHosts { get; init; } = [];

    /// <summary>Bind mounts added after the default ones (RUN --mount, cache dirs, ...).</summary>
    public IReadOnlyList<BindMount> Mounts { get; init; } = [];

    /// <summary><c>RUN --security=insecure</c> (allowed with <c>--allow security.insecure</c>): every capability, devices, no masked paths.</summary>
    public bool Privileged { get; init; }

    /// <summary>The syscall filter of a step that is not <see cref="Privileged"/>: Docker's default profile unless the
    /// build says otherwise (<c>--security-opt seccomp=…</c>); null runs without one (<c>seccomp=unconfined</c>).</summary>
    public SeccompProfile? Seccomp { get; init; } = SeccompProfile.Default;

    /// <summary>
    /// <see cref="Env"/> holds secret values (<c>RUN --mount=type=secret,env=…</c>): the bundle, whose config.json lists the
    /// environment, is then made on /dev/shm (memory) instead of the work directory, so no disk file ever holds them.
    /// </summary>
    public bool EnvironmentHoldsSecrets { get; init; }

    /// <summary>tmpfs mounts (<c>RUN --mount=type=tmpfs</c>), after the bind mounts.</summary>
    public IReadOnlyList<TmpfsMount> Tmpfs { get; init; } = [];

    /// <summary>The cgroup limits of the step's processes.</summary>
    public RunLimits Limits { get; init; } = RunLimits.Default;

    /// <summary>Text written to the process's stdin (then closed); null gives an empty stdin, as docker build does.</summary>
    public string? Stdin { get; init; }

    /// <summary>
    /// The process reads and writes sbuild's own standard input, output and error (<c>sbuild debug shell</c>): the runtime
    /// passes them through (or relays them, with <see cref="Terminal"/>), <see cref="Stdin"/> is ignored and the run's
    /// output callback gets nothing.
    /// </summary>
    public bool InheritStandardStreams { get; init; }

    /// <summary>
    /// With <see cref="InheritStandardStreams"/>, for when sbuild's standard input is a terminal: the process gets a
    /// terminal of its own (OCI <c>process.terminal</c>, as <c>docker run -it</c>), so a shell has job control and line
    /// editing. The runtime in the foreground makes the pty, puts sbuild's terminal in raw mode while it relays between
    /// the two, passes on window size changes and restores the terminal at the end.
    /// </summary>
    public bool Terminal { get; init; }
}

/// <summary>An already-resolved user: numeric ids only, the runner never reads /etc/passwd.</summary>
public sealed record RunUser(uint Uid, uint Gid, IReadOnlyList<uint> AdditionalGids)
{
    public static RunUser Root { get; } = new(0, 0, []);
}

public enum NetworkMode
{
    /// <summary>A new, empty network namespace; the runtime brings up loopback only.</summary>
    None,

    /// <summary>Share the host's network namespace.</summary>
    Host,
}

public sealed record BindMount(string Source, string Destination, bool ReadOnly);

/// <summary>An empty in-memory filesystem at <paramref name="Destination"/>, at most <paramref name="Size"/> bytes (null: the kernel's default).</summary>
public sealed record TmpfsMount(string Destination, long? Size);

public sealed record HostEntry(string Name, string Address);

/// <param name="Pids">The most tasks (processes and threads) at once; null: no limit. A fork beyond it fails (EAGAIN).</param>
/// <param name="Memory"><c>--memory</c>: the most memory, RAM and swap together, in bytes; null: no limit (as
/// <c>docker build</c>). Exceeding it gets a process killed by the kernel's OOM killer (SIGKILL: exit code 137).</param>
public sealed record RunLimits(long? Pids, long? Memory)
{
    /// <summary>
    /// Docker and BuildKit set no pids limit; sbuild sets this generous one (podman's default is 2048) so that a fork bomb
    /// in a Dockerfile fails its step instead of exhausting the host's pids. docker daemon.json's
    /// <c>default-pids-limit</c> in sbuild's config file changes it.
    /// </summary>
    public const long DefaultPids = 4096;

    public static RunLimits Default { get; } = new(DefaultPids, null);

    /// <summary>A size as docker's flags take it back: whole GiB, MiB or KiB when it is one, else bytes.</summary>
    public static string SizeText(long bytes) => bytes switch
    {
        _ when bytes % (1L << 30) == 0 => $"{bytes >> 30}GiB",
        _ when bytes % (1L << 20) == 0 => $"{bytes >> 20}MiB",
        _ when bytes % (1L << 10) == 0 => $"{bytes >> 10}KiB",
        _ => $"{bytes} bytes",
    };
}
