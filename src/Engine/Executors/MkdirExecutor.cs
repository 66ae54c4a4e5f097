using Sbuild.Core;
using Sbuild.Frontend;
using Sbuild.Solver;

namespace Sbuild.Engine.Executors;

/// <summary>WORKDIR: the directory and missing parents, owned by the stage's USER as resolved in the rootfs.</summary>
internal sealed class MkdirExecutor(MkdirOp op, StepDescription step, SnapshotWorkspace workspace) : IOp<FsState>
{
    public string Name => step.Name;
    public ValueTask<Digest> CacheKeyAsync(IReadOnlyList<Digest> inputs, CancellationToken ct) => ValueTask.FromResult(CacheKeys.Of(op, inputs));

    public Task<FsState> ExecuteAsync(IReadOnlyList<FsState> inputs, CancellationToken ct) =>
        workspace.ChangeAsync(inputs[0], rootfs =>
        {
            StepErrors.At(step, () =>
            {
                var (uid, gid) = UserResolver.ResolveOwner(rootfs, op.User);
                FileCopier.MakeDirectories(rootfs, op.Path, uid, gid);
                return 0;
            });
            return Task.CompletedTask;
        }, ct);
}
