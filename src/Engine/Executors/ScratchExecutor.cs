using Sbuild.Core;
using Sbuild.Frontend;
using Sbuild.Solver;

namespace Sbuild.Engine.Executors;

/// <summary><c>FROM scratch</c>: the empty filesystem.</summary>
internal sealed class ScratchExecutor(ScratchOp op, StepDescription step) : IOp<FsState>
{
    public string Name => step.Name;
    public bool Cacheable => false;
    public ValueTask<Digest> CacheKeyAsync(IReadOnlyList<Digest> inputs, CancellationToken ct) => ValueTask.FromResult(CacheKeys.Of(op, inputs));
    public Task<FsState> ExecuteAsync(IReadOnlyList<FsState> inputs, CancellationToken ct) => Task.FromResult(FsState.Empty);
}
