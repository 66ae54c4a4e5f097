using Sbuild.Core;
using Sbuild.Frontend;
using Sbuild.Parser;
using Sbuild.Runner;
using Sbuild.Solver;
using NetworkMode = Sbuild.Frontend.NetworkMode;

namespace Sbuild.Engine.Executors;

/// <summary>RUN: the command in a container over a fresh snapshot of input 0; what it changes becomes the layer.</summary>
/// <param name="getRunner">Asked only when a RUN actually executes, so a fully cached build never probes runtimes.</param>
/// <param name="scratch">Per-build temp directory (heredoc scripts are written there).</param>
internal sealed class ExecExecutor(ExecOp op, StepDescription step, Func<CancellationToken, Task<IContainerRunner>> getRunner,
    SnapshotWorkspace workspace, string scratch, IBuildLog log) : IOp<FsState>
{
    public string Name => step.Name;
    public ValueTask<Digest> CacheKeyAsync(IReadOnlyList<Digest> inputs, CancellationToken ct) => ValueTask.FromResult(CacheKeys.Of(op, inputs));

    public async Task<FsState> ExecuteAsync(IReadOnlyList<FsState> inputs, CancellationToken ct)
    {
        var runner = await getRunner(ct).ConfigureAwait(false);
        using var scripts = new InlineFiles(scratch, op.Scripts, mode: 0x1ED);
        return await workspace.ChangeAsync(inputs[0], async rootfs =>
        {
            var spec = new RunSpec
            {
                RootfsPath = rootfs,
                Args = op.Args,
                Env = [.. op.Env, .. op.ProxyEnv],
                Cwd = op.Cwd,
                User = UserResolver.Resolve(rootfs, op.User),
                Network = op.Network == NetworkMode.Host ? Runner.NetworkMode.Host : Runner.NetworkMode.None,
                Mounts = op.Scripts.Select(f => new BindMount(scripts.PathOf(f.Name), $"{ExecOp.ScriptDirectory}/{f.Name}", ReadOnly: true)).ToList(),
            };
            var output = new RunOutput((_, line) => log.Output(step.Name, line));
            int exit;
            try
            {
                exit = await runner.RunAsync(spec, output, ct).ConfigureAwait(false);
            }
            catch (SbuildException e) when (e.Code == ErrorCode.RuntimeFailed)
            {
                // The process never started (e.g. no such executable): say so at the RUN's line.
                throw Failure($"RUN could not start {string.Join(' ', op.Args)}: {e.Message}");
            }
            if (exit != 0)
            {
                var tail = output.Tail.Count == 0 ? "(no output)" : string.Join("\n", output.Tail.Select(l => "  " + l));
                throw Failure($"RUN failed with exit code {exit}: {string.Join(' ', op.Args)}\nlast output lines:\n{tail}");
            }
        }, ct).ConfigureAwait(false);
    }

    private SbuildException Failure(string message) => step.Location is { } at
        ? new DockerfileException(ErrorCode.RunFailed, at, message)
        : new SbuildException(ErrorCode.RunFailed, message);
}
