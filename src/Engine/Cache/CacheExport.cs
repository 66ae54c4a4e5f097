using System.Text.Json;
using Sbuild.Core;
using Sbuild.Core.Metadata;
using Sbuild.Registry;

namespace Sbuild.Engine.Cache;

/// <summary>Writes the records of a build as the cache artifact (<see cref="CacheArtifact"/>) to a directory or a registry.</summary>
public static class CacheExport
{
    /// <param name="cacheMounts">The contents of cache mounts to export with the records (see <see cref="CacheMountDirectories.ArchiveAsync"/>).</param>
    public static async Task ExportAsync(CacheLocation destination, IReadOnlyList<CacheRecord> records, IReadOnlyList<CacheMountArchive> cacheMounts,
        ImageStore store, RegistrySession? registries, IBuildLog log, CancellationToken ct)
    {
        var entries = new List<CacheEntry>();
        foreach (var record in records.OrderBy(r => r.Key, StringComparer.Ordinal))
            if (JsonSerializer.Deserialize(record.Result, BuildJsonContext.Default.FsState) is { } state)
                entries.Add(new CacheEntry(record.Key, state.Layers, state.Created, record.Description));
        var config = store.Content.WriteBytes(
            JsonSerializer.SerializeToUtf8Bytes(new CacheConfigFile(CacheArtifact.Version, entries, cacheMounts.Count > 0 ? cacheMounts : null), BuildJsonContext.Default.CacheConfigFile),
            CacheArtifact.ConfigMediaType);
        var manifest = new ImageManifest
        {
            ArtifactType = CacheArtifact.ArtifactType,
            Config = config,
            Layers = entries.SelectMany(e => e.Layers).Concat(cacheMounts.Select(m => m.Layer)).Select(l => l.Blob).DistinctBy(b => b.Digest).ToList(),
        };
        var manifestBlob = store.Content.WriteBytes(JsonSerializer.SerializeToUtf8Bytes(manifest, OciJsonContext.Canonical.ImageManifest), MediaTypes.OciManifest);
        if (destination.Backend == CacheBackend.Local)
            WriteLayout(destination.Location, store.Content, manifestBlob, [config, .. manifest.Layers]);
        else
            await new ImagePusher(registries!, store, log.Note).PushAsync(manifestBlob, ImageReference.Parse(destination.Location), ct).ConfigureAwait(false);
        log.Note($"exported cache to {destination}: {entries.Count} records, {manifest.Layers.Count} layers"
                 + (cacheMounts.Count > 0 ? $", {cacheMounts.Count} cache mounts" : ""));
    }

    /// <summary>An OCI image layout: blobs copied in (what is there already is kept), index.json naming the manifest last.</summary>
    private static void WriteLayout(string directory, IContentStore content, Descriptor manifest, IReadOnlyList<Descriptor> blobs)
    {
        var blobDir = Directory.CreateDirectory(Path.Combine(directory, "blobs", "sha256")).FullName;
        foreach (var blob in blobs.Append(manifest))
        {
            var target = Path.Combine(blobDir, blob.Digest.Encoded);
            if (File.Exists(target)) continue;
            var temp = target + ".tmp-" + Guid.NewGuid().ToString("N");
            using (var source = content.OpenRead(blob.Digest))
            using (var output = File.Create(temp))
                source.CopyTo(output);
            File.Move(temp, target, overwrite: true);
        }
        AtomicFile.WriteAllBytes(Path.Combine(directory, "oci-layout"), JsonSerializer.SerializeToUtf8Bytes(new OciLayoutFile(), OciJsonContext.Canonical.OciLayoutFile));
        var named = manifest with { Annotations = new SortedDictionary<string, string>(StringComparer.Ordinal) { [ImageStore.RefNameAnnotation] = "latest" } };
        AtomicFile.WriteAllBytes(Path.Combine(directory, "index.json"),
            JsonSerializer.SerializeToUtf8Bytes(new ImageIndex { Manifests = [named] }, OciJsonContext.Canonical.ImageIndex));
    }
}
