using System.Text;
using Sbuild.Core;

namespace Sbuild.Engine;

/// <summary>
/// Content digests of files selected in a solved filesystem (what <c>COPY --from</c> reads from another stage), so its
/// cache key follows those files, not the whole stage. Committed snapshots never change, so a digest is remembered
/// per snapshot and selection in <paramref name="memoDirectory"/> and computed (over a read-only view) once.
/// </summary>
public sealed class StateContentDigests(SnapshotWorkspace workspace, string memoDirectory)
{
    private const string Version = "v3"; // v3: device numbers and hard links are in the digest

    public async ValueTask<Digest> DigestAsync(FsState state, CopySelection selection, CancellationToken ct)
    {
        var memo = state.Snapshot is { } snapshot
            ? Path.Combine(memoDirectory, Digest.Of(Encoding.UTF8.GetBytes($"{Version}\n{snapshot}\n{selection.Text()}")).Encoded)
            : null;
        if (memo is not null && File.Exists(memo) && Digest.TryParse(File.ReadAllText(memo).Trim(), out var known)) return known;
        var digest = await workspace.WithViewAsync(state,
            root => Task.FromResult(ContextChecksum.Compute(root, selection, includeOwnership: true, ct: ct)), ct).ConfigureAwait(false);
        if (memo is not null)
        {
            Directory.CreateDirectory(memoDirectory);
            AtomicFile.WriteAllBytes(memo, Encoding.UTF8.GetBytes(digest.ToString()));
        }
        return digest;
    }
}
