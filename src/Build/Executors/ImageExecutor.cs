using System.Text;
using Sbuild.Archive.Compression;
using Sbuild.Core;
using Sbuild.Exporter;
using Sbuild.Frontend;
using Sbuild.Solver;

namespace Sbuild.Build.Executors;

/// <summary>
/// An image's filesystem: its layers unpacked into one committed snapshot per layer, named by chain ID and shared by
/// every build (so those snapshots are the cache, and the op itself is not cached).
/// </summary>
internal sealed class ImageExecutor(ImageOp op, StepDescription step, ImageStore store, SnapshotWorkspace workspace) : IOp<FsState>
{
    public string Name => step.Name;
    public bool Cacheable => false;
    public ValueTask<Digest> CacheKeyAsync(IReadOnlyList<Digest> inputs, CancellationToken ct) => ValueTask.FromResult(CacheKeys.Of(op, inputs));

    public async Task<FsState> ExecuteAsync(IReadOnlyList<FsState> inputs, CancellationToken ct)
    {
        var manifest = store.ReadManifest(op.Manifest);
        var config = store.ReadConfig(manifest.Config.Digest);
        if (manifest.Layers.Count != config.RootFs.DiffIds.Count)
            throw new SbuildException(ErrorCode.StoreCorrupt, $"image {op.Manifest} has {manifest.Layers.Count} layers but {config.RootFs.DiffIds.Count} diff_ids");
        string? parent = null;
        Digest? chain = null;
        var layers = new List<LayerBlob>();
        for (var i = 0; i < manifest.Layers.Count; i++)
        {
            var blob = manifest.Layers[i];
            var diffId = config.RootFs.DiffIds[i];
            chain = chain is { } below ? Digest.Of(Encoding.UTF8.GetBytes($"{below} {diffId}")) : diffId;
            parent = await workspace.EnsureLayerAsync("layer-" + chain.Value.Encoded, parent,
                (stream, token) => OpenLayer(store.Content, blob, stream, token), ct).ConfigureAwait(false);
            layers.Add(new LayerBlob(diffId, blob with { MediaType = MediaTypes.LayerAsOci(blob.MediaType) }));
        }
        return new FsState(parent, layers, config.Created);
    }

    private static async Task OpenLayer(IContentStore content, Descriptor blob, Func<Stream, Task> apply, CancellationToken ct)
    {
        await using var raw = content.OpenRead(blob.Digest);
        var tar = Decompression.Open(raw, blob.MediaType switch
        {
            MediaTypes.OciLayerGzip or MediaTypes.DockerLayerGzip => ArchiveCompression.Gzip,
            MediaTypes.OciLayerZstd => ArchiveCompression.Zstd,
            MediaTypes.OciLayer or MediaTypes.DockerLayer => ArchiveCompression.None,
            _ => throw new SbuildException(ErrorCode.InvalidArchive, $"layer {blob.Digest} has unsupported media type {blob.MediaType}"),
        });
        await using (tar) await apply(tar).ConfigureAwait(false);
    }
}
