using System.Text.Json;
using Sbuild.Core;

namespace Sbuild.Cli.Images;

/// <summary>One platform of an image in <c>images --tree</c>: <paramref name="Available"/> when its manifest, config and every layer are in the store.</summary>
public sealed record TreePlatform(string Platform, Digest Id, bool Available, long DiskUsage, long ContentSize);

/// <summary>One image in <c>images --tree</c>: its tags (sorted), its ID, sizes summed over its manifests, and its platforms.</summary>
public sealed record TreeImage(IReadOnlyList<string> Names, Digest Id, long DiskUsage, long ContentSize, IReadOnlyList<TreePlatform> Platforms);

/// <summary>
/// The rows of docker's <c>image ls --tree</c> (docker/cli cli/command/image/tree.go, runTree) from the store, with the
/// sizes moby's containerd image store reports (daemon/containerd/image_list.go, multiPlatformSummary): a platform's
/// CONTENT SIZE is the size of its manifest, config and layers that the store has; its DISK USAGE adds the unpacked size
/// of an image that is unpacked, which in sbuild's terms is the platform the image runs on here (the SIZE
/// <c>sbuild images</c> shows, as moby unpacks only the host's platform). An image's sizes are the sums over all its
/// manifests, attestations included. IDs are sbuild's image IDs (config digests) for the image and each platform, as
/// <c>sbuild images</c> and <c>image inspect --platform</c> print them; docker's containerd store prints manifest
/// digests there because those are its image IDs.
/// </summary>
public static class ImageTree
{
    public static IReadOnlyList<TreeImage> Of(ImageStore store, IReadOnlyList<LocalImage> images)
    {
        var rows = new List<TreeImage>();
        foreach (var image in images)
        {
            var platforms = new List<TreePlatform>();
            long disk = 0, content = 0;
            var seen = new HashSet<Digest>();
            foreach (var manifest in image.Entries.Select(e => e.Manifest).DistinctBy(m => m.Digest).SelectMany(m => ManifestsOf(store.Content, m)))
            {
                if (!seen.Add(manifest.Digest)) continue;
                var platform = Describe(store, manifest, image);
                disk += platform.DiskUsage;
                content += platform.ContentSize;
                if (platform.Platform != AttestationPlatform) platforms.Add(platform);
            }
            rows.Add(new TreeImage(image.RepoTags.Order(StringComparer.Ordinal).ToList(), image.Id, disk, content, platforms));
        }
        // docker 29 sorts by the first name, untagged images last (in the store's newest-first order among themselves).
        return rows.OrderBy(r => r.Names.Count == 0).ThenBy(r => r.Names.FirstOrDefault() ?? "", StringComparer.Ordinal).ToList();
    }

    // BuildKit's attestation manifests (unknown/unknown) count in the image's sizes but are not a platform row, as in moby.
    private const string AttestationPlatform = "unknown/unknown";

    /// <summary>The image manifests under <paramref name="root"/>: itself, or an index's (nested ones followed); a missing index blob has none.</summary>
    private static IEnumerable<Descriptor> ManifestsOf(IContentStore content, Descriptor root)
    {
        if (!MediaTypes.IsIndex(root.MediaType)) return MediaTypes.IsManifest(root.MediaType) ? [root] : [];
        if (!content.Exists(root.Digest)) return [];
        return content.ReadJson(root.Digest, OciJsonContext.Canonical.ImageIndex).Manifests.SelectMany(child => ManifestsOf(content, child));
    }

    private static TreePlatform Describe(ImageStore store, Descriptor manifest, LocalImage image)
    {
        if (!store.Content.Exists(manifest.Digest))
            return new TreePlatform(Format(manifest.Platform), manifest.Digest, false, 0, 0);
        var parsed = store.ReadManifest(manifest.Digest);
        var blobs = parsed.Layers.Prepend(parsed.Config).ToList();
        var present = blobs.Where(b => store.Content.Exists(b.Digest)).ToList();
        var contentSize = manifest.Size + present.Sum(b => b.Size);
        var platform = manifest.Platform ?? ConfigPlatform(store, parsed.Config.Digest);
        var unpacked = parsed.Config.Digest == image.Id ? image.Size : 0;
        return new TreePlatform(Format(platform), parsed.Config.Digest, present.Count == blobs.Count, contentSize + unpacked, contentSize);
    }

    // A single-platform manifest's descriptor names no platform: the config says it, as moby reads it there.
    private static Platform? ConfigPlatform(ImageStore store, Digest config)
    {
        if (!store.Content.Exists(config)) return null;
        using var stream = store.Content.OpenRead(config);
        var root = JsonDocument.Parse(stream).RootElement;
        string? Field(string key) => root.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return Field("os") is { Length: > 0 } os ? new Platform { Os = os, Architecture = Field("architecture") ?? "", Variant = Field("variant") } : null;
    }

    // containerd's platforms.Format: os/arch[/variant], "unknown" without an OS.
    private static string Format(Platform? platform) =>
        platform is null || platform.Os.Length == 0 ? "unknown"
            : string.Join('/', new[] { platform.Os, platform.Architecture, platform.Variant }.Where(p => !string.IsNullOrEmpty(p)));
}
