using Sbuild.Core;

namespace Sbuild.Registry;

/// <summary>
/// The image a store entry gives for a platform. An entry is a single image manifest (a build, a pull, a docker-archive)
/// or an image index kept whole (an OCI layout loaded with every platform's blobs): the index's manifest for the
/// platform is chosen as a registry pull chooses one (<see cref="PlatformMatcher"/>), nested indexes followed.
/// </summary>
public static class StoredPlatforms
{
    /// <summary>The manifest for <paramref name="platform"/>: <paramref name="root"/> itself when it is a manifest; null when an index has none.</summary>
    public static Descriptor? Select(IContentStore content, Descriptor root, Platform platform) =>
        MediaTypes.IsIndex(root.MediaType) ? PlatformMatcher.Select(Manifests(content, root), platform) : root;

    /// <summary>
    /// Like <see cref="Select"/>, but a single image manifest only when it is an image of <paramref name="platform"/>
    /// (its config says which); null when the entry has none.
    /// </summary>
    public static Descriptor? SelectProvided(IContentStore content, Descriptor root, Platform platform)
    {
        if (MediaTypes.IsIndex(root.MediaType)) return Select(content, root, platform);
        var config = content.ReadJson(content.ReadJson(root.Digest, OciJsonContext.Canonical.ImageManifest).Config.Digest, OciJsonContext.Canonical.ImageConfig);
        return PlatformMatcher.Matches(new Platform { Os = config.Os, Architecture = config.Architecture, Variant = config.Variant }, platform) ? root : null;
    }

    /// <summary>The image manifests of an index that name a platform (attestations, which say unknown/unknown, are left out).</summary>
    public static IReadOnlyList<Descriptor> Manifests(IContentStore content, Descriptor index)
    {
        var found = new List<Descriptor>();
        foreach (var child in content.ReadJson(index.Digest, OciJsonContext.Canonical.ImageIndex).Manifests)
        {
            if (MediaTypes.IsIndex(child.MediaType)) found.AddRange(Manifests(content, child));
            else if (MediaTypes.IsManifest(child.MediaType) && child.Platform is { Os: not "unknown" }) found.Add(child);
        }
        return found;
    }
}
