using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>Walks an image (manifest, or index of manifests) to the blobs it is made of.</summary>
internal static class ImageBlobs
{
    public static bool IsIndex(string mediaType) => mediaType is MediaTypes.OciIndex or MediaTypes.DockerManifestList;

    public static bool IsManifest(string mediaType) => mediaType is MediaTypes.OciManifest or MediaTypes.DockerManifest;

    /// <summary>Every blob reachable from <paramref name="root"/>, the root included, each once.</summary>
    public static IReadOnlyList<Descriptor> Collect(IContentStore store, Descriptor root)
    {
        RequireImage(root);
        var blobs = new List<Descriptor>();
        var seen = new HashSet<Digest>();
        Visit(root);
        return blobs;

        void Visit(Descriptor descriptor)
        {
            if (!seen.Add(descriptor.Digest)) return;
            blobs.Add(descriptor);
            if (IsIndex(descriptor.MediaType))
            {
                foreach (var child in store.ReadJson(descriptor.Digest, OciJsonContext.Canonical.ImageIndex).Manifests) Visit(child);
            }
            else if (IsManifest(descriptor.MediaType))
            {
                var manifest = store.ReadJson(descriptor.Digest, OciJsonContext.Canonical.ImageManifest);
                Visit(manifest.Config);
                foreach (var layer in manifest.Layers) Visit(layer);
            }
        }
    }

    /// <summary>The single-platform manifest to use where only one fits (docker-archive): the host's, from an index.</summary>
    public static (Descriptor Descriptor, ImageManifest Manifest) ResolveManifest(IContentStore store, Descriptor root)
    {
        RequireImage(root);
        var descriptor = root;
        if (IsIndex(root.MediaType))
        {
            var candidates = store.ReadJson(root.Digest, OciJsonContext.Canonical.ImageIndex).Manifests.Where(m => IsManifest(m.MediaType)).ToList();
            descriptor = candidates.FirstOrDefault(m => m.Platform is { } p && p.Os == Platform.Host.Os && p.Architecture == Platform.Host.Architecture)
                ?? (candidates.Count == 1 ? candidates[0] : null)
                ?? throw new SbuildException(ErrorCode.InvalidArchive,
                    $"image index {root.Digest} has no manifest for {Platform.Host}; a docker archive holds one platform only");
        }
        return (descriptor, store.ReadJson(descriptor.Digest, OciJsonContext.Canonical.ImageManifest));
    }

    private static void RequireImage(Descriptor root)
    {
        if (!IsIndex(root.MediaType) && !IsManifest(root.MediaType))
            throw new ArgumentException($"{root.Digest} is a {root.MediaType}, not an image manifest or index", nameof(root));
    }
}
