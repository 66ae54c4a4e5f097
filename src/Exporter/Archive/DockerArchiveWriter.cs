using System.Text.Json;
using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>
/// A tar for <c>docker load</c>: Docker's <c>manifest.json</c> beside a full OCI image layout, the way Docker 25's
/// <c>docker save</c> and BuildKit's docker exporter lay it out. Older engines read only manifest.json.
/// </summary>
public sealed class DockerArchiveWriter(DateTimeOffset? timestamp = null) : ImageArchiveWriter(timestamp)
{
    private protected override IReadOnlyList<ArchiveEntry> Entries(IReadOnlyList<ExportImage> images)
    {
        var entries = OciLayoutEntries.For(images);
        // One manifest.json entry per image, with every name it was asked by (as docker save groups names).
        var merged = images.GroupBy(i => i.Manifest.Digest).Select(g => g.First() with { Names = g.SelectMany(i => i.Names).ToList() });
        entries.Add(new BytesEntry("manifest.json", JsonSerializer.SerializeToUtf8Bytes(merged.Select(ManifestEntry).ToList(), OciJsonContext.Canonical.ListDockerArchiveEntry)));
        return entries;
    }

    private static DockerArchiveEntry ManifestEntry(ExportImage image)
    {
        var (descriptor, manifest) = ImageBlobs.ResolveManifest(image.Content, image.Manifest);
        // An index's other platforms may be absent (left out of the layout); the image manifest.json names must be whole.
        if (manifest.Layers.Prepend(manifest.Config).FirstOrDefault(blob => !image.Content.Exists(blob.Digest)) is { } missing)
            throw new SbuildException(ErrorCode.BlobNotFound,
                $"the local store lacks blob {missing.Digest} ({missing.MediaType}) of image manifest {descriptor.Digest}, which a docker archive of {image.Manifest.Digest} holds; pull or load the image again");
        var repoTags = image.Names.Select(ImageNames.DockerRepoTag).OfType<string>().Distinct().ToList();
        return new DockerArchiveEntry
        {
            Config = OciLayoutEntries.BlobPath(manifest.Config.Digest),
            RepoTags = repoTags.Count == 0 ? null : repoTags,
            Layers = manifest.Layers.Select(l => OciLayoutEntries.BlobPath(l.Digest)).ToList(),
        };
    }
}
