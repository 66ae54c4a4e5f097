using Sbuild.Core;
using Sbuild.Frontend;
using Sbuild.Parser;
using Sbuild.Solver;

namespace Sbuild.Engine.Executors;

/// <summary>
/// COPY into input 0 from the build context or from input 1's filesystem. Either way the key holds the content of the
/// selected files only: context files are hashed while keying, another stage's once it is solved (so a change to files
/// this COPY does not select leaves it cached). Here-documents are written after the sources (<paramref name="scratch"/>:
/// the per-build temp directory they are written to first).
/// </summary>
internal sealed class CopyExecutor(CopyOp op, StepDescription step, LocalContext context, SnapshotWorkspace workspace, StateContentDigests selections, string scratch)
    : IOp<FsState>
{
    public string Name => step.Name;

    private CopySelection Selection => new(op.Sources, op.Parents, op.Excludes);

    public ValueTask<Digest> CacheKeyAsync(IReadOnlyList<Digest> inputs, CancellationToken ct) =>
        ValueTask.FromResult(op.From == CopySource.Context
            ? CacheKeys.Of(op, inputs, [StepErrors.At(step, () => context.Checksum(Selection, ct))])
            : CacheKeys.Of(op, inputs));

    public bool KeysInputByContent(int index) => index == 1;

    public async ValueTask<Digest> InputContentDigestAsync(int index, FsState input, CancellationToken ct) =>
        await StepErrors.AtAsync(step, async () => await selections.DigestAsync(input, Selection, ct).ConfigureAwait(false)).ConfigureAwait(false);

    public async Task<FsState> ExecuteAsync(IReadOnlyList<FsState> inputs, CancellationToken ct)
    {
        if (op.From == CopySource.Context)
            return await workspace.ChangeAsync(inputs[0], rootfs => Copy(context.Root, context.Ignore, rootfs), ct).ConfigureAwait(false);
        return await workspace.WithViewAsync(inputs[1],
            source => workspace.ChangeAsync(inputs[0], rootfs => Copy(source, DockerIgnore.Empty, rootfs), ct), ct).ConfigureAwait(false);
    }

    private Task Copy(string sourceRoot, DockerIgnore ignore, string rootfs)
    {
        StepErrors.At(step, () =>
        {
            // Context files become root's unless --chown; another stage's keep their owners (BuildKit).
            var ownership = CopyOwnership.Resolve(rootfs, op.Chown, op.Chmod, preserveOwnership: op.From == CopySource.Input);
            FileCopier.Copy(sourceRoot, Selection, rootfs, op.Destination, ownership, ignore);
            HereDocuments.Copy(op.Files, scratch, rootfs, op.Destination, ownership with { PreserveOwnership = false });
            return 0;
        });
        return Task.CompletedTask;
    }
}
