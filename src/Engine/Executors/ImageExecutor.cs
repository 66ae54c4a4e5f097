using Sbuild.Core;
using Sbuild.Exporter;
using Sbuild.Frontend;
using Sbuild.Solver;

namespace Sbuild.Engine.Executors;

/// <summary>
/// An image's filesystem: its layers, unpacked as a <see cref="LayerChain"/> shared by every build when a step first
/// needs the files (so those snapshots are the cache, and the op itself is not cached).
/// </summary>
internal sealed class ImageExecutor(ImageOp op, StepDescription step, ImageStore store) : IOp<FsState>
{
    public string Name => step.Name;
    public bool Cacheable => false;
    public ValueTask<Digest> CacheKeyAsync(IReadOnlyList<Digest> inputs, CancellationToken ct) => ValueTask.FromResult(CacheKeys.Of(op, inputs));

    public Task<FsState> ExecuteAsync(IReadOnlyList<FsState> inputs, CancellationToken ct)
    {
        var manifest = store.ReadManifest(op.Manifest);
        var config = store.ReadConfig(manifest.Config.Digest);
        if (manifest.Layers.Count != config.RootFs.DiffIds.Count)
            throw new SbuildException(ErrorCode.StoreCorrupt, $"image {op.Manifest} has {manifest.Layers.Count} layers but {config.RootFs.DiffIds.Count} diff_ids");
        var layers = manifest.Layers.Select((blob, i) => new LayerBlob(config.RootFs.DiffIds[i], blob)).ToList();
        // The image's layers as an OCI image made from them lists them (docker media types become OCI ones).
        return Task.FromResult(new FsState(null, layers.Select(l => l with { Blob = l.Blob with { MediaType = MediaTypes.LayerAsOci(l.Blob.MediaType) } }).ToList(), config.Created));
    }
}
