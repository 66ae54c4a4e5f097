using System.Diagnostics;
using System.Text;
using Sbuild.Core;

namespace Sbuild.Runner;

/// <summary>Runs a RunSpec with <c>&lt;runtime&gt; run</c> in a throw-away bundle. Each run has its own state root,
/// so concurrent runs never collide, and everything it created (bundle, runtime state, mount stubs) is removed.</summary>
public sealed class ContainerRunner(OciRuntime runtime, ContainerRunnerOptions options) : IContainerRunner
{
    /// <summary>Where bundles whose environment holds secrets are made: a tmpfs every Linux system mounts.</summary>
    private const string MemoryDirectory = "/dev/shm";

    public OciRuntime Runtime { get; } = runtime;

    public async Task<int> RunAsync(RunSpec spec, RunOutput output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(output);
        ct.ThrowIfCancellationRequested();
        if (!OperatingSystem.IsLinux())
            throw new SbuildException(ErrorCode.RuntimeFailed, "running RUN steps needs Linux");
        if (spec.Terminal && !spec.InheritStandardStreams)
            throw new ArgumentException("a terminal is for a run on sbuild's own standard streams", nameof(spec));
        if (!Directory.Exists(spec.RootfsPath))
            throw new SbuildException(ErrorCode.RuntimeFailed, $"container root directory {spec.RootfsPath} does not exist");

        var hostResolvConf = File.Exists(options.HostResolvConfPath) ? await File.ReadAllTextAsync(options.HostResolvConfPath, ct).ConfigureAwait(false) : "";
        var openFiles = HostLimits.OpenFilesLimit(OciSpecBuilder.DockerOpenFilesLimit);
        var cgroups = HostLimits.Cgroups();
        if (spec.Limits.Memory is not null && !cgroups.Memory)
            throw new SbuildException(ErrorCode.InvalidOption,
                "--memory: this host's cgroups have no memory controller, so the memory of a RUN cannot be limited; build without --memory");
        var bundleDirectory = spec.EnvironmentHoldsSecrets ? MemoryDirectory : options.WorkDirectory;
        ContainerWatcher.Watch(Runtime.Path, bundleDirectory, OciBundle.NameStart(options.BundlePrefix));
        using var bundle = OciBundle.Create(bundleDirectory, options.BundlePrefix, Runtime.Path, spec, hostResolvConf, openFiles, HostLimits.CapabilityBounds(), cgroups);
        var stubs = MountStubs.Record(spec.RootfsPath, MountStubs.CleanedDestinations(spec));
        try
        {
            var exitCode = spec.InheritStandardStreams
                ? await RunWithOwnStreamsAsync(bundle, ct).ConfigureAwait(false)
                : await RunInBundleAsync(bundle, spec.Stdin, output, ct).ConfigureAwait(false);
            if (exitCode != 0 && RuntimeLog.Errors(bundle.LogFile) is [.., var error])
                throw new SbuildException(ErrorCode.RuntimeFailed, error.StartsWith(Runtime.Name, StringComparison.Ordinal) ? error : $"{Runtime.Name}: {error}");
            return exitCode;
        }
        finally
        {
            if (bundle.HasContainerState)
                await RuntimeCommandAsync(bundle, ["delete", "--force", bundle.ContainerId]).ConfigureAwait(false);
            stubs.Remove();
        }
    }

    /// <summary>
    /// Deletes the container of a bundle a killed sbuild left (its runtime state is in the bundle): the container was
    /// killed when that sbuild died (<see cref="ContainerWatcher"/>), and the runtime's <c>delete --force</c> removes its
    /// state and cgroups (and kills a container still running, one the watcher could not reach). True when no container
    /// is left.
    /// </summary>
    public static bool DeleteLeftoverContainer(string bundleDirectory)
    {
        var state = Path.Join(bundleDirectory, "state");
        var runtimeFile = Path.Join(bundleDirectory, "runtime");
        if (!Directory.Exists(state) || !File.Exists(runtimeFile)) return true;
        var runtime = File.ReadAllText(runtimeFile);
        foreach (var container in Directory.EnumerateDirectories(state))
        {
            var info = new ProcessStartInfo(runtime) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in (string[])["--root", state, "delete", "--force", Path.GetFileName(container)])
                info.ArgumentList.Add(argument);
            try
            {
                using var process = Process.Start(info)!;
                process.StandardOutput.ReadToEnd();
                process.StandardError.ReadToEnd();
                process.WaitForExit();
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return false; // the runtime is gone from the host: the state stays for an operator to see
            }
        }
        return !Directory.EnumerateDirectories(state).Any();
    }

    private async Task<int> RunInBundleAsync(OciBundle bundle, string? stdin, RunOutput output, CancellationToken ct)
    {
        using var process = Start(["--log", bundle.LogFile, "--log-format", "json", "run", "--bundle", bundle.Directory, bundle.ContainerId], bundle);
        var pumps = Task.WhenAll(
            LineReader.PumpAsync(process.StandardOutput.BaseStream, bytes => output.AddBytes(OutputStream.Stdout, bytes), line => output.Add(OutputStream.Stdout, line), CancellationToken.None),
            LineReader.PumpAsync(process.StandardError.BaseStream, bytes => output.AddBytes(OutputStream.Stderr, bytes), line => output.Add(OutputStream.Stderr, line), CancellationToken.None),
            FeedStdinAsync(process.StandardInput.BaseStream, stdin));
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await KillAsync(bundle, process).ConfigureAwait(false);
            // Output still in the pipes is wanted, but a stray holder of the pipe must not hang cancellation.
            await pumps.WaitAsync(options.KillTimeout, CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }
        await pumps.ConfigureAwait(false);
        return process.ExitCode;
    }

    /// <summary>The runtime, and so the container's process, on sbuild's own standard streams (no pipes to pump). With a
    /// terminal (<see cref="RunSpec.Terminal"/>), the runtime in the foreground makes the pty itself and relays it to
    /// those streams: no console socket is needed.</summary>
    private async Task<int> RunWithOwnStreamsAsync(OciBundle bundle, CancellationToken ct)
    {
        using var process = Start(["--log", bundle.LogFile, "--log-format", "json", "run", "--bundle", bundle.Directory, bundle.ContainerId], bundle, redirect: false);
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await KillAsync(bundle, process).ConfigureAwait(false);
            throw;
        }
        return process.ExitCode;
    }

    /// <summary>SIGKILL to the container's init ends its whole pid namespace; <c>run</c> then exits and deletes it.
    /// Repeated because the container may not exist yet when cancellation arrives.</summary>
    private async Task KillAsync(OciBundle bundle, Process process)
    {
        var deadline = Stopwatch.StartNew();
        while (!process.HasExited && deadline.Elapsed < options.KillTimeout)
        {
            await RuntimeCommandAsync(bundle, ["kill", bundle.ContainerId, "KILL"]).ConfigureAwait(false);
            using var pause = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            await process.WaitForExitAsync(pause.Token).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task FeedStdinAsync(Stream stdin, string? text)
    {
        try
        {
            if (text is not null)
                await stdin.WriteAsync(Encoding.UTF8.GetBytes(text)).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The process exited (or closed stdin) without reading everything: not an error, as with a shell pipe.
        }
        finally
        {
            try
            {
                await stdin.DisposeAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>A runtime housekeeping command (kill, delete) whose failure is not interesting: its output is dropped
    /// and it does not write to the run's log, which holds only the run's own errors.</summary>
    private async Task RuntimeCommandAsync(OciBundle bundle, IReadOnlyList<string> arguments)
    {
        using var process = Start(arguments, bundle);
        process.StandardInput.Close();
        var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        await drain.ConfigureAwait(false);
    }

    /// <summary>The runtime with <paramref name="arguments"/>; with <paramref name="redirect"/> false it writes to (and
    /// reads) sbuild's own standard streams.</summary>
    private Process Start(IReadOnlyList<string> arguments, OciBundle bundle, bool redirect = true)
    {
        try
        {
            return Process.Start(StartInfo(arguments, bundle, redirect)) ?? throw new SbuildException(ErrorCode.RuntimeFailed, $"could not start {Runtime.Path}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SbuildException(ErrorCode.RuntimeFailed, $"could not start {Runtime.Path}: {e.Message}", e);
        }
    }

    private ProcessStartInfo StartInfo(IReadOnlyList<string> arguments, OciBundle bundle, bool redirect)
    {
        var info = new ProcessStartInfo(Runtime.Path)
        {
            UseShellExecute = false,
            RedirectStandardInput = redirect,
            RedirectStandardOutput = redirect,
            RedirectStandardError = redirect,
        };
        foreach (var argument in (string[])["--root", bundle.StateRoot, .. arguments])
            info.ArgumentList.Add(argument);
        return info;
    }
}
