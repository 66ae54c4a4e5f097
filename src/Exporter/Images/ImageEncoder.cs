using System.Text.Json;
using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>
/// Gives an image the layer compression, media types and manifest annotations an output asks for, as BuildKit's image
/// exporters do: the build's own layers are (re)compressed as asked; base-image layers keep their bytes unless
/// <c>force-compression=true</c>. The config, and so the image ID, never changes. The new manifest goes into the
/// content store; an image that needs no change is returned as it is.
/// </summary>
public static class ImageEncoder
{
    /// <param name="manifest">A single-platform image manifest in <paramref name="store"/>.</param>
    /// <param name="baseLayerCount">How many of its first layers come from the base image.</param>
    public static async Task<Descriptor> EncodeAsync(IContentStore store, Descriptor manifest, int baseLayerCount,
        ImageEncoding encoding, bool ociMediaTypes, CancellationToken cancellationToken)
    {
        // Docker's media types have no zstd; BuildKit turns OCI types on for it.
        ociMediaTypes |= encoding.Compression == LayerCompression.Zstd;
        if (encoding.ChangesNothing(ociMediaTypes)) return manifest;
        var image = store.ReadJson(manifest.Digest, OciJsonContext.Canonical.ImageManifest);
        var diffIds = store.ReadJson(image.Config.Digest, OciJsonContext.Canonical.ImageConfig).RootFs.DiffIds;
        var layers = new List<Descriptor>(image.Layers.Count);
        for (var i = 0; i < image.Layers.Count; i++)
        {
            var layer = image.Layers[i];
            var current = LayerCompressionExtensions.Of(layer.MediaType);
            var isNew = i >= baseLayerCount;
            var differentLevel = encoding.CompressionLevel is { } level && level != encoding.Compression.DefaultLevel();
            var recompress = current is null ? false
                : current != encoding.Compression ? isNew || encoding.ForceCompression
                : isNew && differentLevel && current != LayerCompression.Uncompressed;
            if (recompress) layer = await RecompressAsync(store, layer, diffIds[i], encoding, cancellationToken).ConfigureAwait(false);
            layers.Add(layer);
        }
        // A docker manifest cannot list a zstd layer a base image brought; such an image keeps OCI types.
        ociMediaTypes |= layers.Any(l => l.MediaType == MediaTypes.OciLayerZstd);
        layers = layers.Select(l => l with { MediaType = ociMediaTypes ? MediaTypes.LayerAsOci(l.MediaType) : MediaTypes.LayerAsDocker(l.MediaType) }).ToList();

        var annotations = new SortedDictionary<string, string>(image.Annotations ?? new SortedDictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (key, value) in encoding.ManifestAnnotations) annotations[key] = value;
        var encoded = image with
        {
            MediaType = ociMediaTypes ? MediaTypes.OciManifest : MediaTypes.DockerManifest,
            Config = image.Config with { MediaType = ociMediaTypes ? MediaTypes.OciConfig : MediaTypes.DockerConfig },
            Layers = layers,
            Annotations = annotations.Count == 0 ? null : annotations,
        };
        var written = store.WriteBytes(JsonSerializer.SerializeToUtf8Bytes(encoded, OciJsonContext.Canonical.ImageManifest), encoded.MediaType);
        return written with { Platform = manifest.Platform };
    }

    private static async Task<Descriptor> RecompressAsync(IContentStore store, Descriptor layer, Digest diffId, ImageEncoding encoding, CancellationToken cancellationToken)
    {
        await using var tar = LayerReader.OpenTar(store, layer);
        // An uncompressed blob is its own tar: its digest is the diff_id, which hashing it again would only repeat (a
        // third of the CPU of compressing it with zstd). A compressed one is checked against the config as it decompresses.
        var uncompressed = LayerCompressionExtensions.Of(layer.MediaType) == LayerCompression.Uncompressed;
        if (uncompressed && layer.Digest != diffId)
            throw new SbuildException(ErrorCode.StoreCorrupt, $"uncompressed layer {layer.Digest} is listed with diff_id {diffId} in the image config");
        using var writer = new LayerBlobWriter(store, encoding.Compression, encoding.CompressionLevel, uncompressed ? diffId : null);
        await tar.CopyToAsync(writer.Stream, 1 << 20, cancellationToken).ConfigureAwait(false);
        var blob = writer.Commit();
        if (blob.DiffId != diffId)
            throw new SbuildException(ErrorCode.StoreCorrupt, $"layer {layer.Digest} decompresses to {blob.DiffId}, but the image config lists diff_id {diffId}");
        return blob.Blob;
    }
}
