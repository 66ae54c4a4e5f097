using System.Text;
using Sbuild.Core;
using Sbuild.Frontend;
using Sbuild.Git;
using Sbuild.Solver;

namespace Sbuild.Engine.Executors;

/// <summary>
/// A git repository checked out (<see cref="GitSource"/>) as a snapshot of its own, for ADD to copy from. Keying asks
/// the remote which commit the ref points at (BuildKit keys git sources by it), so a branch that moved is fetched
/// again while an unchanged one is a cache hit without fetching.
/// </summary>
/// <param name="scratch">The per-build temp directory the fetch works in.</param>
internal sealed class GitExecutor(GitOp op, StepDescription step, SnapshotWorkspace workspace, string scratch) : IOp<FsState>
{
    private readonly GitCheckoutRequest _request = new(op.Remote, op.Ref, op.Subdir, op.KeepGitDir, op.Checksum, op.SkipSubmodules, op.FetchByCommit);
    private GitRevision? _revision;

    public string Name => step.Name;

    public async ValueTask<Digest> CacheKeyAsync(IReadOnlyList<Digest> inputs, CancellationToken ct)
    {
        _revision = await StepErrors.AtAsync(step, () => GitSource.ResolveAsync(_request, scratch, ct)).ConfigureAwait(false);
        // The resolved commit is the outside content this op reads; its hash stands in the key like a download's digest.
        return CacheKeys.Of(op, inputs, [Digest.Of(Encoding.UTF8.GetBytes(_revision.Commit))]);
    }

    public Task<FsState> ExecuteAsync(IReadOnlyList<FsState> inputs, CancellationToken ct) =>
        workspace.ChangeAsync(FsState.Empty,
            target => StepErrors.AtAsync(step, () => GitSource.CheckoutAsync(_request, _revision!, target, scratch, ct)), ct);
}
