using System.Text.Json;
using Sbuild.Core;
using Sbuild.Registry;

namespace Sbuild.Cli.Images;

/// <summary>
/// One image as docker sees it: an image ID (the config digest) with every name the store gives it. Manifests with the
/// same config are one image, as in docker's image store. <see cref="RepoDigests"/> pairs each repository name with the
/// manifest digest (docker 20.10 knows one only for pulled or pushed images; the store always has it).
/// </summary>
public sealed record LocalImage(
    Digest Id,
    IReadOnlyList<StoreEntry> Entries,
    IReadOnlyList<string> RepoTags,
    IReadOnlyList<string> RepoDigests,
    IReadOnlyList<Digest> LayerBlobs,
    JsonElement Config,
    GoTime Created,
    long Size)
{
    public bool IsDangling => RepoTags.Count == 0 && RepoDigests.Count == 0;

    public IReadOnlyDictionary<string, string>? Labels =>
        Config.TryGetProperty("config", out var config) && config.ValueKind == JsonValueKind.Object
        && config.TryGetProperty("Labels", out var labels) && labels.ValueKind == JsonValueKind.Object
            ? labels.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString(), StringComparer.Ordinal)
            : null;
}

/// <summary>The store's images grouped by image ID, and docker's rules for finding one by name, ID or ID prefix.</summary>
public sealed class ImageCatalog
{
    private ImageCatalog(ImageStore store, IReadOnlyList<LocalImage> images) => (Store, Images) = (store, images);

    public ImageStore Store { get; }
    public IReadOnlyList<LocalImage> Images { get; }

    /// <summary>
    /// The store's images. An entry that is an image index is the image of <paramref name="platform"/> (default: the
    /// host's) under the index's names, as docker 20.10 keeps only that platform of a multi-platform pull (and as the
    /// containerd image store shows one by default); an index without that platform is left out.
    /// </summary>
    public static ImageCatalog Load(ImageStore store, Platform? platform = null)
    {
        var sizes = new LayerSizes(store);
        var images = new List<LocalImage>();
        var byConfig = store.Entries()
            .Select(e => (Entry: e, Selected: StoredPlatforms.Select(store.Content, e.Manifest, platform ?? Platform.Host)))
            .Where(x => x.Selected is { } m && MediaTypes.IsManifest(m.MediaType))
            .Select(x => (x.Entry, Manifest: store.ReadManifest(x.Selected!.Digest)))
            .GroupBy(x => x.Manifest.Config.Digest);
        foreach (var group in byConfig)
        {
            var entries = group.Select(x => x.Entry).ToList();
            var manifest = group.First().Manifest;
            var tags = new SortedSet<string>(StringComparer.Ordinal);
            var digests = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var entry in entries.Where(e => e.Name is not null))
            {
                var reference = ImageReference.Parse(entry.Name!);
                if (reference.Tag is not null && reference.Digest is null) tags.Add(reference.ToString());
                digests.Add($"{reference.Repository}@{reference.Digest ?? entry.Manifest.Digest}");
            }
            JsonElement config;
            using (var stream = store.Content.OpenRead(group.Key))
                config = JsonDocument.Parse(stream).RootElement.Clone();
            var created = GoTime.Parse(config.TryGetProperty("created", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null);
            var layers = manifest.Layers.Select(l => l.Digest).ToList();
            images.Add(new LocalImage(group.Key, entries, tags.ToList(), digests.ToList(), layers, config, created, layers.Sum(sizes.Of)));
        }
        return new ImageCatalog(store, images);
    }

    /// <summary>
    /// docker's GetImage: a full ID (<c>sha256:HEX</c> or 64 hex digits) is only an ID; otherwise a name
    /// (<c>busybox</c> is <c>busybox:latest</c>, <c>repo@sha256:…</c> a repo digest), else a unique prefix of an ID.
    /// </summary>
    public LocalImage? Find(string nameOrId)
    {
        var hex = nameOrId.StartsWith("sha256:", StringComparison.Ordinal) ? nameOrId[7..] : nameOrId;
        var isHex = hex.Length > 0 && hex.All(char.IsAsciiHexDigitLower);
        if (isHex && (hex.Length == 64 || hex.Length != nameOrId.Length))
            return hex.Length == 64 ? Images.FirstOrDefault(i => i.Id.Encoded == hex) : ByPrefix(hex);
        if (ImageReference.TryParse(nameOrId, out var reference))
        {
            var name = reference.ToString();
            var named = reference.Digest is null
                ? Images.FirstOrDefault(i => i.RepoTags.Contains(name))
                : Images.FirstOrDefault(i => i.RepoDigests.Contains(name));
            if (named is not null) return named;
        }
        return isHex ? ByPrefix(hex) : null;
    }

    /// <summary>Like <see cref="Find"/>, or "No such image" naming what was asked for as docker does (<c>nope:latest</c>).</summary>
    public LocalImage Get(string nameOrId) => Find(nameOrId) ?? throw NoSuchImage(nameOrId);

    public static SbuildException NoSuchImage(string nameOrId)
    {
        var shown = ImageReference.TryParse(nameOrId, out var reference) ? reference.ToString() : nameOrId;
        return new SbuildException(ErrorCode.ImageNotFound, $"No such image: {shown}");
    }

    private LocalImage? ByPrefix(string hex)
    {
        var matches = Images.Where(i => i.Id.Encoded.StartsWith(hex, StringComparison.Ordinal)).Take(2).ToList();
        return matches.Count == 1 ? matches[0] : null;
    }
}
