using System.Text;
using System.Text.Json;
using Sbuild.Core;

namespace Sbuild.Engine;

/// <summary>
/// Content digests of files selected in a solved filesystem (what <c>COPY --from</c> reads from another stage), so its
/// cache key follows those files, not the whole stage. Committed snapshots never change, so a digest is remembered
/// per snapshot (or layer chain) and selection in <paramref name="memoDirectory"/> and computed (over a read-only view) once. Beside it,
/// under <c>files/</c> and named by the digest, goes the list of the selected entries (<see cref="Explain.FileRecord"/>),
/// which a cache-miss record keeps so that a later miss can name the files that changed.
/// </summary>
public sealed class StateContentDigests(SnapshotWorkspace workspace, string memoDirectory)
{
    private const string Version = "v4"; // v3: device numbers and hard links are in the digest; v4: a listing beside it

    public async ValueTask<Digest> DigestAsync(FsState state, CopySelection selection, CancellationToken ct)
    {
        // Layers not unpacked yet are named by their diff_ids, which fix their files as a snapshot's name does.
        var identity = state.Snapshot ?? (state.IsEmpty ? null : string.Join(' ', state.Layers.Select(l => l.DiffId)));
        var memo = identity is not null
            ? Path.Combine(memoDirectory, Digest.Of(Encoding.UTF8.GetBytes($"{Version}\n{identity}\n{selection.Text()}")).Encoded)
            : null;
        if (memo is not null && File.Exists(memo) && Digest.TryParse(File.ReadAllText(memo).Trim(), out var known)) return known;
        var listing = new List<Explain.FileRecord>();
        var digest = await workspace.WithViewAsync(state,
            root => Task.FromResult(ContextChecksum.Compute(root, selection, includeOwnership: true, listing: listing, ct: ct)), ct).ConfigureAwait(false);
        var listingPath = ListingPath(digest);
        if (!File.Exists(listingPath))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(listingPath)!);
            AtomicFile.WriteAllBytes(listingPath, JsonSerializer.SerializeToUtf8Bytes(listing, Explain.ExplainJsonContext.Default.ListFileRecord));
        }
        if (memo is not null)
            AtomicFile.WriteAllBytes(memo, Encoding.UTF8.GetBytes(digest.ToString()));
        return digest;
    }

    /// <summary>The entries whose content digest is <paramref name="digest"/>, or null when they are not at hand (a
    /// prune removed the lists, which are cheap to make again; a damaged list).</summary>
    public List<Explain.FileRecord>? Listing(Digest digest)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(ListingPath(digest)), Explain.ExplainJsonContext.Default.ListFileRecord);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    private string ListingPath(Digest digest) => Path.Combine(memoDirectory, "files", digest.Encoded + ".json");
}
