using Sbuild.Core;
using Sbuild.Exporter;
using Sbuild.Snapshotter;

namespace Sbuild.Engine;

/// <summary>
/// <c>--squash</c>: the build's own layers become one, on top of the base image's layers, as <c>docker build --squash</c>
/// (moby's SquashImage) makes it. The new layer is the difference between the base image's tree and the final tree
/// (a double walk of both, mounted read-only), so files made and deleted again after the base are gone, and files of the
/// base that were deleted are whiteouts. The history is kept readable the way moby keeps it: the base image's entries
/// as they were, every later entry kept but marked <c>empty_layer</c>, and one entry added for the merged layer whose
/// comment says what was merged (<c>merge sha256:IMAGE to sha256:BASE</c>, or <c>create new from sha256:IMAGE</c>
/// on scratch), IMAGE being the ID the image would have had without squashing.
/// </summary>
public static class SquashedImage
{
    /// <param name="unsquashed">The config of the image as built; its history has <paramref name="baseHistoryCount"/> base entries first.</param>
    /// <param name="baseImageId">The base image's ID; null for <c>FROM scratch</c>.</param>
    /// <returns>The config and layers of the squashed image (the base's layers, then the merged one).</returns>
    public static async Task<(ImageConfig Config, IReadOnlyList<LayerBlob> Layers)> SquashAsync(SnapshotWorkspace workspace, IContentStore content,
        ImageConfig unsquashed, FsState final, FsState baseImage, Digest? baseImageId, int baseHistoryCount, DateTimeOffset? sourceDateEpoch,
        CancellationToken ct)
    {
        var options = new LayerDiffOptions { SourceDateEpoch = sourceDateEpoch };
        var merged = await workspace.WithViewAsync(final, top => baseImage.IsEmpty
            ? WriteLayerAsync(content, top, null, options, ct)
            : workspace.WithViewAsync(baseImage, below => WriteLayerAsync(content, top, below, options, ct), ct), ct).ConfigureAwait(false);

        var history = unsquashed.History
            .Select((entry, i) => i < baseHistoryCount ? entry : entry with { EmptyLayer = true })
            .ToList();
        var imageId = ImageWriter.ConfigDigest(unsquashed);
        history.Add(new HistoryEntry
        {
            // moby stamps the merge entry (and the image) with the time of the squash; sbuild keeps the image's own time,
            // so a squashed build stays reproducible with SOURCE_DATE_EPOCH.
            Created = unsquashed.Created,
            Comment = baseImageId is { } parent ? $"merge {imageId} to {parent}" : $"create new from {imageId}",
        });
        var config = unsquashed with
        {
            RootFs = new RootFs { DiffIds = [.. baseImage.Layers.Select(l => l.DiffId), merged.DiffId] },
            History = history,
        };
        return (config, [.. baseImage.Layers, merged]);
    }

    private static async Task<LayerBlob> WriteLayerAsync(IContentStore content, string tree, string? baseTree, LayerDiffOptions options, CancellationToken ct)
    {
        using var layer = new LayerBlobWriter(content);
        await TreeDiffer.WriteDiffAsync(tree, baseTree, layer.Stream, options, ct).ConfigureAwait(false);
        return layer.Commit();
    }
}
