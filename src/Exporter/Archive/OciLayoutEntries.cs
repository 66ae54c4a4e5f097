using System.Text.Json;
using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>The members of an OCI image layout for one image: oci-layout, index.json and every blob.</summary>
internal static class OciLayoutEntries
{
    public static List<ArchiveEntry> For(IReadOnlyList<ExportImage> images)
    {
        var entries = new List<ArchiveEntry>
        {
            new DirectoryEntry("blobs/"),
            new DirectoryEntry($"blobs/{Digest.Sha256}/"),
            new BytesEntry("oci-layout", JsonSerializer.SerializeToUtf8Bytes(new OciLayoutFile(), OciJsonContext.Canonical.OciLayoutFile)),
            new BytesEntry("index.json", JsonSerializer.SerializeToUtf8Bytes(
                new ImageIndex { Manifests = images.SelectMany(IndexEntries).ToList() }, OciJsonContext.Canonical.ImageIndex)),
        };
        // What the store lacks of an index (another platform's content) is left out, as moby's containerd store saves
        // (archive.WithSkipMissing; the image-layout spec lets a layout miss referenced blobs). A single image must be whole.
        foreach (var image in images)
        {
            var isIndex = MediaTypes.IsIndex(image.Manifest.MediaType);
            entries.AddRange(ImageGraph.Reachable(image.Content, image.Manifest, skipMissing: isIndex)
                .Where(blob => !isIndex || image.Content.Exists(blob.Digest)).Select(blob => new BlobEntry(BlobPath(blob.Digest), blob)));
        }
        return entries;
    }

    public static string BlobPath(Digest digest) => $"blobs/{digest.Algorithm}/{digest.Encoded}";

    // One index entry per name, like BuildKit (containerd's archive exporter): the full name plus the tag as ref.name.
    private static IEnumerable<Descriptor> IndexEntries(ExportImage image)
    {
        var unnamed = image.Manifest with { Annotations = WithoutNames(image.Manifest.Annotations) };
        if (image.Names.Count == 0) return [unnamed];
        var manifests = image.Names.Select(name =>
        {
            var annotations = new SortedDictionary<string, string>(unnamed.Annotations ?? new SortedDictionary<string, string>(), StringComparer.Ordinal)
            {
                [ImageNames.ContainerdImageName] = ImageNames.FullName(name),
            };
            if (ImageNames.OciRefName(name) is { } refName) annotations[ImageStore.RefNameAnnotation] = refName;
            return unnamed with { Annotations = annotations };
        });
        return manifests;
    }

    // The local store's naming annotations describe the store, not this archive.
    private static SortedDictionary<string, string>? WithoutNames(SortedDictionary<string, string>? annotations)
    {
        if (annotations is null) return null;
        var kept = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in annotations)
            if (key is not (ImageNames.ContainerdImageName or ImageStore.RefNameAnnotation)) kept[key] = value;
        return kept.Count == 0 ? null : kept;
    }
}
