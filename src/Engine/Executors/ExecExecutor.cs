using Sbuild.Core;
using Sbuild.Engine.Debugging;
using Sbuild.Frontend;
using Sbuild.Parser;
using Sbuild.Runner;
using Sbuild.Runner.Seccomp;
using Sbuild.Solver;
using NetworkMode = Sbuild.Frontend.NetworkMode;

namespace Sbuild.Engine.Executors;

/// <summary>
/// RUN: the command in a container over a fresh snapshot of input 0; what it changes becomes the layer. Its
/// <c>--mount</c>s are set up around it: binds of the context or of another stage (inputs 1…; keyed by the content they
/// expose, like COPY), cache directories that persist across builds (those with <c>from=</c> start as a copy of a stage's
/// directory), tmpfs.
/// </summary>
/// <param name="getRunner">Asked only when a RUN actually executes, so a fully cached build never probes runtimes.</param>
/// <param name="scratch">Per-build temp directory (heredoc scripts and writable bind copies go there).</param>
/// <param name="seccomp">The build's syscall filter for steps that are not privileged (null: none).</param>
/// <param name="limits">The cgroup limits of every RUN of the build (tasks, <c>--memory</c>).</param>
/// <param name="journal">Where the step's full output goes and its filesystem is kept when its command fails (null: nowhere, for a debug shell).</param>
internal sealed class ExecExecutor(ExecOp op, StepDescription step, Func<CancellationToken, Task<IContainerRunner>> getRunner,
    SnapshotWorkspace workspace, string scratch, IBuildLog log, LocalContext context, StateContentDigests selections,
    CacheMountDirectories cacheMounts, IReadOnlyDictionary<string, BuildSecret> secrets, IReadOnlyDictionary<string, SshAgentSocket> sshAgents,
    SeccompProfile? seccomp, RunLimits limits, BuildJournal? journal)
    : IOp<FsState>
{
    public string Name => step.Name;

    public ValueTask<Digest> CacheKeyAsync(IReadOnlyList<Digest> inputs, CancellationToken ct) =>
        ValueTask.FromResult(CacheKeys.Of(op, inputs, op.Mounts.Where(m => m.Type == RunMountType.Bind && m.Input is null)
            .Select(m => StepErrors.At(step, () => context.Checksum(new CopySelection([SourceOf(m)]), ct))).ToList()));

    /// <summary>Inputs after the rootfs are bind sources: keyed by the files the mounts expose.</summary>
    public bool KeysInputByContent(int index) => index > 0;

    public async ValueTask<Digest> InputContentDigestAsync(int index, FsState input, CancellationToken ct) =>
        await StepErrors.AtAsync(step, async () => await selections.DigestAsync(input,
            new CopySelection(op.Mounts.Where(m => m.Input == index).Select(SourceOf).ToList()), ct).ConfigureAwait(false)).ConfigureAwait(false);

    public async Task<FsState> ExecuteAsync(IReadOnlyList<FsState> inputs, CancellationToken ct)
    {
        var runner = await getRunner(ct).ConfigureAwait(false);
        using var stepLog = journal?.StartStep(step.Name);
        string? keptAs = null;
        try
        {
            return await WithMountsAsync(inputs, ct, mounts => workspace.ChangeAsync(inputs[0], rootfs => RunAsync(runner, rootfs, mounts, stepLog, ct), ct,
                keepFailed: e => e is CommandFailed && stepLog is not null ? keptAs = $"{KeptFailures.SnapshotPrefix}{stepLog.BuildId}-{stepLog.Number}" : null)).ConfigureAwait(false);
        }
        catch (CommandFailed failed)
        {
            var message = failed.Message;
            if (stepLog is not null)
                message += $"\nfull output: {stepLog.Path} (sbuild logs {stepLog.BuildId} --step {stepLog.Number})";
            if (keptAs is not null && workspace.Snapshotter.Exists(keptAs))
            {
                journal!.KeepFailure(stepLog!, step.Name, op, keptAs, inputs, failed.ExitCode);
                message += $"\nthe failed step's filesystem is kept: enter it with sbuild debug shell {stepLog!.BuildId} --step {stepLog.Number} (or --last-failure)";
            }
            throw Failure(message);
        }
    }

    /// <summary>
    /// Runs <paramref name="command"/> with sbuild's own standard streams in a writable, thrown-away child of
    /// <paramref name="failed"/> (a kept failure of this step), with the step's env, user, workdir and mounts set up as
    /// for the step itself; with a terminal of its own when sbuild's standard input is one. Returns the command's exit code.
    /// </summary>
    public async Task<int> DebugAsync(IReadOnlyList<FsState> inputs, FsState failed, IReadOnlyList<string> command, CancellationToken ct)
    {
        var runner = await getRunner(ct).ConfigureAwait(false);
        return await WithMountsAsync(inputs, ct, mounts => workspace.WithScratchAsync(failed,
            rootfs => runner.RunAsync(SpecOf(rootfs, mounts) with { Args = command, InheritStandardStreams = true, Terminal = !Console.IsInputRedirected }, new RunOutput(), ct), ct)).ConfigureAwait(false);
    }

    /// <summary>What the RUN's <c>--mount</c>s and here-document scripts give the container.</summary>
    private sealed record StepMounts(IReadOnlyList<BindMount> Binds, IReadOnlyList<TmpfsMount> Tmpfs, IReadOnlyList<string> Env);

    /// <summary>Sets up the RUN's mounts (views of bind sources, cache directories held, secrets written) around <paramref name="run"/>.</summary>
    private async Task<T> WithMountsAsync<T>(IReadOnlyList<FsState> inputs, CancellationToken ct, Func<StepMounts, Task<T>> run)
    {
        using var scripts = new InlineFiles(scratch, op.Scripts, mode: 0x1ED);
        var holds = new List<IDisposable>();
        var copies = new List<string>();
        using var secretFiles = new SecretFiles();
        try
        {
            return await WithViewsAsync(inputs, 1, new Dictionary<int, string>(), async views =>
            {
                var binds = op.Scripts.Select(f => new BindMount(scripts.PathOf(f.Name), $"{ExecOp.ScriptDirectory}/{f.Name}", ReadOnly: true)).ToList();
                var tmpfs = new List<TmpfsMount>();
                var mountEnv = new List<string>();
                foreach (var mount in op.Mounts)
                {
                    switch (mount.Type)
                    {
                        case RunMountType.Bind:
                            binds.Add(new BindMount(BindSource(mount, mount.Input is { } i ? views[i] : context.Root, copies), mount.Target, mount.ReadOnly));
                            break;
                        case RunMountType.Cache:
                            var cacheBase = mount.Input is { } from ? await CacheBaseAsync(mount, inputs[from], views[from], ct).ConfigureAwait(false) : null;
                            var (directory, hold) = cacheMounts.Acquire(mount, cacheBase);
                            holds.Add(hold);
                            binds.Add(new BindMount(directory, mount.Target, mount.ReadOnly));
                            break;
                        case RunMountType.Tmpfs:
                            tmpfs.Add(new TmpfsMount(mount.Target, mount.Size));
                            break;
                        case RunMountType.Secret:
                            if (!secrets.TryGetValue(mount.SecretId!, out var secret))
                            {
                                if (!mount.Required) break;
                                throw NotProvided($"secret \"{mount.SecretId}\"", $"--secret id={mount.SecretId},src=FILE (or env=VAR)");
                            }
                            var value = StepErrors.At(step, secret.ReadValue);
                            if (mount.SecretEnv is { } name) mountEnv.Add($"{name}={System.Text.Encoding.UTF8.GetString(value)}");
                            if (mount.Target.Length > 0) binds.Add(new BindMount(secretFiles.Write(value, mount), mount.Target, ReadOnly: true));
                            break;
                        case RunMountType.Ssh:
                            if (!sshAgents.TryGetValue(mount.SecretId!, out var agent))
                            {
                                if (!mount.Required) break;
                                throw NotProvided($"ssh agent \"{mount.SecretId}\"", $"--ssh {mount.SecretId}=SOCKET (or --ssh default)");
                            }
                            binds.Add(new BindMount(agent.SocketPath, mount.Target, ReadOnly: false));
                            // As BuildKit: the first agent is where ssh looks, unless the RUN sets SSH_AUTH_SOCK itself.
                            if (!mountEnv.Any(e => e.StartsWith("SSH_AUTH_SOCK=", StringComparison.Ordinal))
                                && !op.Env.Any(e => e.StartsWith("SSH_AUTH_SOCK=", StringComparison.Ordinal)))
                                mountEnv.Add("SSH_AUTH_SOCK=" + mount.Target);
                            break;
                    }
                }
                return await run(new StepMounts(binds, tmpfs, mountEnv)).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        finally
        {
            foreach (var hold in holds) hold.Dispose();
            foreach (var copy in copies) TreeRemover.Delete(copy);
        }
    }

    /// <summary>Read-only views of the stages bind mounts read, mounted for the whole RUN.</summary>
    private async Task<T> WithViewsAsync<T>(IReadOnlyList<FsState> inputs, int index, Dictionary<int, string> views, Func<Dictionary<int, string>, Task<T>> run)
    {
        if (index >= inputs.Count) return await run(views).ConfigureAwait(false);
        return await workspace.WithViewAsync(inputs[index], root =>
        {
            views[index] = root;
            return WithViewsAsync(inputs, index + 1, views, run);
        }, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// The host path a bind mount shows: inside <paramref name="root"/>; a copy where the mount is writable (changes are
    /// discarded) or where the context has a .dockerignore (so the RUN sees only what COPY could).
    /// </summary>
    private string BindSource(RunMount mount, string root, List<string> copies) => StepErrors.At(step, () =>
    {
        var source = RootPath.Resolve(root, mount.Source, followFinal: true);
        // The context as BuildKit sends it: what .dockerignore excludes is not shown (an excluded source already
        // failed its key, as not found).
        var ignore = mount.Input is null ? context.Ignore : DockerIgnore.Empty;
        if (!Path.Exists(source))
            throw new SbuildException(ErrorCode.CopySourceNotFound, $"RUN --mount: source \"{SourceOf(mount)}\" not found" + (mount.Input is null ? " in the build context" : ""));
        if (mount.ReadOnly && ignore.Patterns.Count == 0) return source;
        var copy = Directory.CreateDirectory(Path.Combine(scratch, "bind-" + Guid.NewGuid().ToString("N"))).FullName;
        copies.Add(copy);
        FileCopier.Copy(root, new CopySelection([SourceOf(mount)]), copy, "/", new CopyOwnership(null, null, null, PreserveOwnership: true), ignore);
        return Directory.Exists(source) ? copy : Path.Combine(copy, Path.GetFileName(source));
    });

    /// <summary>The directory a cache mount with <c>from=</c> starts as, and the digest of its content.</summary>
    private async Task<CacheBase> CacheBaseAsync(RunMount mount, FsState input, string view, CancellationToken ct)
    {
        var content = await StepErrors.AtAsync(step, async () => await selections.DigestAsync(input, new CopySelection([SourceOf(mount)]), ct).ConfigureAwait(false)).ConfigureAwait(false);
        return StepErrors.At(step, () =>
        {
            var source = RootPath.Resolve(view, mount.Source, followFinal: true);
            return Directory.Exists(source) ? new CacheBase(content.ToString(), source)
                : throw new SbuildException(ErrorCode.CopySourceNotFound, $"RUN --mount=type=cache: source \"/{mount.Source}\" is not a directory in the stage or image of from=");
        });
    }

    private static string SourceOf(RunMount mount) => mount.Source.Length == 0 ? "." : mount.Source;

    private RunSpec SpecOf(string rootfs, StepMounts mounts) => new()
    {
        RootfsPath = rootfs,
        Args = op.Args,
        Env = [.. op.Env, .. op.ProxyEnv, .. mounts.Env],
        Cwd = op.Cwd,
        User = StepErrors.At(step, () => UserResolver.Resolve(rootfs, op.User)),
        Network = op.Network == NetworkMode.Host ? Runner.NetworkMode.Host : Runner.NetworkMode.None,
        Mounts = mounts.Binds,
        Tmpfs = mounts.Tmpfs,
        Privileged = op.Privileged,
        Seccomp = seccomp,
        Limits = limits,
        EnvironmentHoldsSecrets = op.Mounts.Any(m => m.Type == RunMountType.Secret && m.SecretEnv is not null),
    };

    private async Task RunAsync(IContainerRunner runner, string rootfs, StepMounts mounts, StepLog? stepLog, CancellationToken ct)
    {
        var spec = SpecOf(rootfs, mounts);
        // The progress shows lines; the step's log gets the bytes as the container wrote them.
        var output = new RunOutput((_, line) => log.Output(step.Name, line), onBytes: stepLog is null ? null : (_, bytes) => stepLog.Write(bytes));
        int exit;
        var oomKillsBefore = OomKills.Count();
        try
        {
            exit = await runner.RunAsync(spec, output, ct).ConfigureAwait(false);
        }
        catch (SbuildException e) when (e.Code == ErrorCode.RuntimeFailed)
        {
            // The process never started (e.g. no such executable): say so at the RUN's line.
            throw Failure($"RUN could not start {CommandForMessage()}: {e.Message}");
        }
        stepLog?.Ended(exit);
        if (exit != 0 && op.Platform is { } platform && output.Tail.LastOrDefault() is { } last
            && last.StartsWith("exec ", StringComparison.Ordinal) && last.EndsWith(": exec format error", StringComparison.Ordinal))
        {
            // The runtime could not exec the step's program: a binary of another architecture, and no emulator for it.
            throw Located(ErrorCode.EmulationUnavailable,
                $"RUN for {platform} cannot run on this {Platform.Host} host: the kernel has no binfmt_misc handler (emulator) for {platform} programs ({last}). " +
                "Install qemu-user-static and register its binfmt_misc handlers with the F flag (systemd-binfmt does it at boot, or " +
                "docker run --privileged --rm tonistiigi/binfmt --install all), or build only steps without RUN for that platform");
        }
        if (exit != 0)
        {
            var tail = output.Tail.Count == 0 ? "(no output)" : string.Join("\n", output.Tail.Select(l => "  " + l));
            throw new CommandFailed(exit, $"{ExitText(exit, oomKillsBefore, OomKills.Count())}: {CommandForMessage()}\n{MemoryNote(exit, oomKillsBefore)}last output lines:\n{tail}");
        }
    }

    private const int KilledExitCode = 128 + 9; // SIGKILL, as the shell reports it

    /// <summary>
    /// How the step ended. A SIGKILL while the kernel's OOM kill count rose is the OOM killer's: the step ran out of
    /// memory, its --memory limit or the host's, which the process itself cannot say (<see cref="OomKills"/>).
    /// </summary>
    private string ExitText(int exit, long? oomKillsBefore, long? oomKillsAfter)
    {
        if (exit != KilledExitCode || oomKillsBefore is null || !(oomKillsAfter > oomKillsBefore))
            return $"RUN failed with exit code {exit}";
        return limits.Memory is { } memory
            ? $"RUN was killed: out of memory (limit {RunLimits.SizeText(memory)}, --memory; exit code {exit})"
            : $"RUN was killed: out of memory (the host's; exit code {exit})";
    }

    /// <summary>Where the kernel keeps no OOM kill count, a SIGKILL under --memory is still most likely the OOM killer's.</summary>
    private string MemoryNote(int exit, long? oomKillsBefore) => exit == KilledExitCode && oomKillsBefore is null && limits.Memory is { } memory
        ? $"the step was killed (SIGKILL), most likely because it ran out of memory: it may use at most {RunLimits.SizeText(memory)} (--memory)\n"
        : "";

    /// <summary>The command ran and failed: its filesystem may be kept, then the error is located at the RUN's line.</summary>
    private sealed class CommandFailed(int exitCode, string message) : Exception(message)
    {
        public int ExitCode { get; } = exitCode;
    }

    /// <summary>A <c>required</c> secret or ssh mount the build was not given.</summary>
    private SbuildException NotProvided(string what, string flag) =>
        Located(ErrorCode.InvalidOption, $"{what} is required but not provided: give it with {flag}");

    /// <summary>
    /// The command as an error message shows it: its start only when it is long. The step's progress line has already
    /// shown it whole (and the image history keeps it whole); a 10 MB RUN line must not be printed again and again.
    /// </summary>
    private string CommandForMessage()
    {
        const int Shown = 300;
        var command = string.Join(' ', op.Args);
        return command.Length <= Shown ? command : $"{command[..Shown]}… ({command.Length - Shown} more characters)";
    }

    private SbuildException Failure(string message) => Located(ErrorCode.RunFailed, message);

    private SbuildException Located(ErrorCode code, string message) =>
        step.Location is { } at ? new DockerfileException(code, at, message) : new SbuildException(code, message);
}
