using System.Text.Json;
using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>An image whose config and manifest are in the content store. The config digest is the image ID.</summary>
public sealed record WrittenImage(Descriptor Manifest, Descriptor Config)
{
    public Digest ImageId => Config.Digest;
}

/// <summary>Writes an image's config and OCI manifest blobs; each digest is that of the exact bytes stored.</summary>
public sealed class ImageWriter(IContentStore store)
{
    /// <param name="config">Its <c>rootfs.diff_ids</c> must list one diff_id per layer, in the same order.</param>
    /// <param name="layers">Layer blob descriptors, base layer first; the blobs must already be in the store.</param>
    /// <param name="annotations">Optional manifest annotations.</param>
    public WrittenImage Write(ImageConfig config, IReadOnlyList<Descriptor> layers, SortedDictionary<string, string>? annotations = null)
    {
        if (config.RootFs.DiffIds.Count != layers.Count)
            throw new ArgumentException(
                $"the config lists {config.RootFs.DiffIds.Count} diff_ids but {layers.Count} layers were given", nameof(layers));
        foreach (var layer in layers)
            if (!store.Exists(layer.Digest))
                throw new SbuildException(ErrorCode.BlobNotFound, $"layer blob {layer.Digest} is not in the content store");

        var configBlob = store.WriteBytes(ConfigBytes(config), MediaTypes.OciConfig);
        var manifest = new ImageManifest
        {
            Config = configBlob,
            Layers = layers.Select(WithoutPlatform).ToList(),
            Annotations = annotations is { Count: > 0 } ? annotations : null,
        };
        var manifestBlob = store.WriteBytes(JsonSerializer.SerializeToUtf8Bytes(manifest, OciJsonContext.Canonical.ImageManifest), MediaTypes.OciManifest);
        return new WrittenImage(manifestBlob, configBlob);
    }

    /// <summary>An OCI image index of images already stored, one entry per platform in the order given (a multi-platform build).</summary>
    public Descriptor WriteIndex(IReadOnlyList<(Descriptor Manifest, Platform Platform)> images, IReadOnlyDictionary<string, string>? annotations = null)
    {
        var index = new ImageIndex
        {
            Manifests = images.Select(i => i.Manifest with { Annotations = null, Platform = i.Platform }).ToList(),
            Annotations = annotations is { Count: > 0 } ? new SortedDictionary<string, string>(annotations.ToDictionary(), StringComparer.Ordinal) : null,
        };
        return store.WriteBytes(JsonSerializer.SerializeToUtf8Bytes(index, OciJsonContext.Canonical.ImageIndex), MediaTypes.OciIndex);
    }

    /// <summary>The ID an image with this config has (the digest of the bytes <see cref="Write"/> stores), without storing it.</summary>
    public static Digest ConfigDigest(ImageConfig config) => Digest.Of(ConfigBytes(config));

    private static byte[] ConfigBytes(ImageConfig config) => JsonSerializer.SerializeToUtf8Bytes(config, OciJsonContext.Canonical.ImageConfig);

    // A platform belongs on manifest descriptors in an index, never on a layer.
    private static Descriptor WithoutPlatform(Descriptor layer) => layer.Platform is null ? layer : layer with { Platform = null };
}
