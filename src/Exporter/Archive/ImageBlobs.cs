using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>Picks the one manifest of an image (manifest, or index of manifests) that a single-platform format holds.</summary>
internal static class ImageBlobs
{
    /// <summary>The single-platform manifest to use where only one fits (docker-archive): the host's, from an index.</summary>
    public static (Descriptor Descriptor, ImageManifest Manifest) ResolveManifest(IContentStore store, Descriptor root)
    {
        RequireImage(root);
        var descriptor = root;
        if (MediaTypes.IsIndex(root.MediaType))
        {
            var candidates = store.ReadJson(root.Digest, OciJsonContext.Canonical.ImageIndex).Manifests.Where(m => MediaTypes.IsManifest(m.MediaType)).ToList();
            descriptor = candidates.FirstOrDefault(m => m.Platform is { } p && p.Os == Platform.Host.Os && p.Architecture == Platform.Host.Architecture)
                ?? (candidates.Count == 1 ? candidates[0] : null)
                ?? throw new SbuildException(ErrorCode.InvalidArchive,
                    $"image index {root.Digest} has no manifest for {Platform.Host}; a docker archive holds one platform only");
        }
        return (descriptor, store.ReadJson(descriptor.Digest, OciJsonContext.Canonical.ImageManifest));
    }

    private static void RequireImage(Descriptor root)
    {
        if (!MediaTypes.IsIndex(root.MediaType) && !MediaTypes.IsManifest(root.MediaType))
            throw new ArgumentException($"{root.Digest} is a {root.MediaType}, not an image manifest or index", nameof(root));
    }
}
