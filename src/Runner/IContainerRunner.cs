namespace Sbuild.Runner;

/// <summary>Runs one process in a fresh container over a caller-owned rootfs. Runs may proceed concurrently,
/// but not two at once on the same rootfs: each run removes the mount stubs it saw created.</summary>
public interface IContainerRunner
{
    /// <summary>Runs <paramref name="spec"/> to completion, streaming its output to <paramref name="output"/>.</summary>
    /// <returns>The process's exit code (128+N when killed by signal N).</returns>
    /// <exception cref="Sbuild.Core.SbuildException">RuntimeFailed when the runtime could not start the process
    /// (for example the executable does not exist); the message is the runtime's own.</exception>
    /// <exception cref="OperationCanceledException">After the container was killed and cleaned up.</exception>
    Task<int> RunAsync(RunSpec spec, RunOutput output, CancellationToken ct);
}

/// <summary>An OCI runtime binary (runc, crun) found on the PATH.</summary>
public sealed record OciRuntime(string Name, string Path);

public sealed record ContainerRunnerOptions
{
    /// <summary>Where per-run bundle directories (config.json, hosts, runtime state) are created. Keep it short:
    /// runtimes put sockets and fifos under it.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>Starts the names of bundle directories after <c>sbuild-</c>: the store's lease tag, so that the bundle of
    /// a killed build (also one under /dev/shm) is known to be garbage.</summary>
    public string BundlePrefix { get; init; } = "";

    /// <summary>The host resolver configuration that the container's /etc/resolv.conf is derived from.</summary>
    public string HostResolvConfPath { get; init; } = "/etc/resolv.conf";

    /// <summary>How long to wait for the last output of a cancelled (killed) container.</summary>
    public TimeSpan KillTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
