namespace Sbuild.Snapshotter;

/// <summary>
/// Converts between snapshots and OCI layers; each snapshotter implementation comes with its own differ. Differs of
/// different snapshotters write the same bytes for the same change: a layer is a function of the trees before and
/// after, so an image has one digest whichever snapshotter built it.
/// </summary>
public interface IDiffer
{
    /// <summary>
    /// Writes the changes of snapshot <paramref name="key"/> (against its parent) to <paramref name="output"/> as an
    /// uncompressed OCI layer tar (an empty one when nothing changed).
    /// </summary>
    Task WriteDiffAsync(string key, Stream output, LayerDiffOptions options, CancellationToken cancellationToken);

    /// <summary>Extracts uncompressed OCI layer <paramref name="layer"/> into active, unmounted snapshot <paramref name="key"/>, so its mounts show parent + layer.</summary>
    Task ApplyAsync(string key, Stream layer, CancellationToken cancellationToken);
}
