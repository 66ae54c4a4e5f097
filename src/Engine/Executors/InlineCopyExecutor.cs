using Sbuild.Core;
using Sbuild.Frontend;
using Sbuild.Solver;

namespace Sbuild.Engine.Executors;

/// <summary>COPY of here-documents: files with the given contents, mode 0644 unless <c>--chmod</c>.</summary>
/// <param name="scratch">Per-build temp directory the contents are written to before copying.</param>
internal sealed class InlineCopyExecutor(InlineCopyOp op, StepDescription step, SnapshotWorkspace workspace, string scratch) : IOp<FsState>
{
    private const uint DefaultMode = 0x1A4;

    public string Name => step.Name;
    public ValueTask<Digest> CacheKeyAsync(IReadOnlyList<Digest> inputs, CancellationToken ct) => ValueTask.FromResult(CacheKeys.Of(op, inputs));

    public async Task<FsState> ExecuteAsync(IReadOnlyList<FsState> inputs, CancellationToken ct)
    {
        using var sources = new InlineFiles(scratch, op.Files, mode: DefaultMode);
        return await workspace.ChangeAsync(inputs[0], rootfs =>
        {
            StepErrors.At(step, () =>
            {
                var ownership = CopyOwnership.Resolve(rootfs, op.Chown, op.Chmod, preserveOwnership: false);
                FileCopier.Copy(sources.Directory, new CopySelection(op.Files.Select(f => f.Name).ToList()), rootfs, op.Destination, ownership);
                return 0;
            });
            return Task.CompletedTask;
        }, ct).ConfigureAwait(false);
    }
}
