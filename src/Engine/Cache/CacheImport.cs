using System.Text.Json;
using Sbuild.Core;
using Sbuild.Exporter;
using Sbuild.Registry;

namespace Sbuild.Engine.Cache;

/// <summary>
/// Build caches named by <c>--cache-from</c>: their records are read when the build starts (a missing or unreadable
/// cache is a warning, as in buildx); a record's layers are fetched only when a step hits it, and unpacked only when a later step needs their files.
/// </summary>
public sealed class CacheImport
{
    private readonly Dictionary<string, (CacheEntry Entry, Func<Descriptor, CancellationToken, Task> Fetch)> _entries = new(StringComparer.Ordinal);
    private readonly ImageStore _store;

    private CacheImport(ImageStore store) => _store = store;

    public int Count => _entries.Count;

    /// <summary>Reads the records of <paramref name="sources"/>, and restores the cache mounts they hold into
    /// <paramref name="cacheMounts"/> (those the store does not have yet), before any step runs.</summary>
    public static async Task<CacheImport> LoadAsync(IReadOnlyList<CacheLocation> sources, ImageStore store,
        CacheMountDirectories cacheMounts, RegistrySession? registries, IBuildLog log, CancellationToken ct)
    {
        var import = new CacheImport(store);
        foreach (var source in sources)
        {
            try
            {
                var before = import.Count;
                var (config, fetch) = source.Backend == CacheBackend.Local
                    ? import.AddLocal(source.Location)
                    : await import.AddRegistryAsync(source.Location, registries!, ct).ConfigureAwait(false);
                var restored = 0;
                foreach (var mount in config.CacheMounts ?? [])
                {
                    if (await cacheMounts.RestoreAsync(mount, async token =>
                        {
                            if (!store.Content.Exists(mount.Layer.Blob.Digest)) await fetch(mount.Layer.Blob, token).ConfigureAwait(false);
                            return LayerReader.OpenTar(store.Content, mount.Layer.Blob);
                        }, ct).ConfigureAwait(false))
                        restored++;
                }
                log.Note($"importing cache from {source}: {import.Count - before} records"
                         + (config.CacheMounts is { Count: > 0 } mounts ? $", {restored} cache mounts restored" + (restored < mounts.Count ? $" ({mounts.Count - restored} kept as this store has them)" : "") : ""));
            }
            catch (SbuildException e)
            {
                log.Warning($"cache import from {source} skipped: {e.Message}");
            }
        }
        return import;
    }

    /// <summary>The imported step for <paramref name="key"/> with its layers in the store (not unpacked), or null.</summary>
    public async Task<(FsState State, string Description)?> GetAsync(Digest key, CancellationToken ct)
    {
        if (!_entries.TryGetValue(key.ToString(), out var found)) return null;
        var (entry, fetch) = found;
        foreach (var layer in entry.Layers)
            if (!_store.Content.Exists(layer.Blob.Digest))
                await fetch(layer.Blob, ct).ConfigureAwait(false);
        return (new FsState(null, entry.Layers, entry.Created), entry.Description);
    }

    private (CacheConfigFile, Func<Descriptor, CancellationToken, Task>) AddLocal(string directory)
    {
        var blobs = Path.Combine(directory, "blobs", "sha256");
        byte[] Read(Digest digest, string what)
        {
            var path = Path.Combine(blobs, digest.Encoded);
            if (!File.Exists(path)) throw new SbuildException(ErrorCode.BlobNotFound, $"{directory}: {what} {digest} is missing");
            var bytes = File.ReadAllBytes(path);
            return Digest.Of(bytes) == digest ? bytes : throw new SbuildException(ErrorCode.DigestMismatch, $"{directory}: {what} {digest} does not match its digest");
        }
        var indexPath = Path.Combine(directory, "index.json");
        if (!File.Exists(indexPath)) throw new SbuildException(ErrorCode.ContextNotFound, $"{directory} has no index.json (not an exported cache)");
        var index = Json(File.ReadAllBytes(indexPath), OciJsonContext.Canonical.ImageIndex, indexPath);
        var manifest = index.Manifests.FirstOrDefault(m => m.MediaType == MediaTypes.OciManifest)
            ?? throw new SbuildException(ErrorCode.InvalidArchive, $"{indexPath} names no cache manifest");
        var config = ConfigOf(Json(Read(manifest.Digest, "manifest"), OciJsonContext.Canonical.ImageManifest, indexPath), d => Read(d, "cache config"), directory);
        Func<Descriptor, CancellationToken, Task> fetch = async (blob, ct) =>
        {
            await using var source = File.OpenRead(Path.Combine(blobs, blob.Digest.Encoded));
            using var writer = _store.Content.OpenWriter();
            await source.CopyToAsync(writer.Stream, ct).ConfigureAwait(false);
            writer.Commit(blob.MediaType, blob.Digest);
        };
        Add(config, fetch);
        return (config, fetch);
    }

    private async Task<(CacheConfigFile, Func<Descriptor, CancellationToken, Task>)> AddRegistryAsync(string reference, RegistrySession registries, CancellationToken ct)
    {
        var parsed = ImageReference.Parse(reference);
        var client = new RegistryClient(registries, await registries.OriginAsync(parsed.Registry, ct).ConfigureAwait(false), parsed.RemotePath);
        var what = $"cache {reference}";
        var fetched = await client.GetManifestAsync(parsed.RemoteReference, what, ct).ConfigureAwait(false);
        var manifest = Json(fetched.Bytes, OciJsonContext.Canonical.ImageManifest, what);
        await client.FetchBlobAsync(manifest.Config, _store.Content, ct).ConfigureAwait(false);
        var config = ConfigOf(manifest, d => ReadStored(d), what);
        Func<Descriptor, CancellationToken, Task> fetch = (blob, token) => client.FetchBlobAsync(blob, _store.Content, token);
        Add(config, fetch);
        return (config, fetch);
    }

    private byte[] ReadStored(Digest digest)
    {
        using var stream = _store.Content.OpenRead(digest);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static CacheConfigFile ConfigOf(ImageManifest manifest, Func<Digest, byte[]> read, string what)
    {
        if (manifest.ArtifactType != CacheArtifact.ArtifactType || manifest.Config.MediaType != CacheArtifact.ConfigMediaType)
            throw new SbuildException(ErrorCode.InvalidArchive, $"{what} is not an sbuild build cache (artifact type {manifest.ArtifactType ?? "none"})");
        var config = Json(read(manifest.Config.Digest), BuildJsonContext.Default.CacheConfigFile, what);
        return config.Version == CacheArtifact.Version ? config
            : throw new SbuildException(ErrorCode.InvalidArchive, $"{what} has cache format {config.Version}; this sbuild reads {CacheArtifact.Version}");
    }

    private void Add(CacheConfigFile config, Func<Descriptor, CancellationToken, Task> fetch)
    {
        foreach (var entry in config.Records) _entries.TryAdd(entry.Key, (entry, fetch));
    }

    private static T Json<T>(byte[] bytes, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, type) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new SbuildException(ErrorCode.InvalidArchive, $"{what}: not valid JSON ({e.Message})");
        }
    }
}
