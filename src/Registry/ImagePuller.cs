using Sbuild.Core;

namespace Sbuild.Registry;

/// <summary>An image now in the local store under <paramref name="Name"/>; <paramref name="RepositoryDigest"/> is the digest
/// the registry knows it by (of the index for a multi-platform image), <paramref name="Manifest"/> the platform's manifest.</summary>
public sealed record PulledImage(ImageReference Name, Descriptor Manifest, Digest RepositoryDigest);

/// <summary>
/// Pulls images into the local store: resolve the tag (mirrors first for Docker Hub, each failing one falling back
/// to the next and then to the registry itself), pick the platform from an index, download the blobs the store lacks
/// in parallel (bounded), each verified against its digest while it streams, and only then name the image. A failed
/// pull leaves no name behind and no unverified blob.
/// </summary>
public sealed class ImagePuller(RegistrySession session, ImageStore store, Action<string> note)
{
    private readonly BlobOrigins _origins = new(store.Root);

    public async Task<PulledImage> PullAsync(ImageReference reference, Platform platform, CancellationToken ct)
    {
        var endpoints = await session.PullEndpointsAsync(reference.Registry, ct).ConfigureAwait(false);
        for (var i = 0; ; i++)
        {
            var endpoint = endpoints[i];
            try
            {
                return await PullFromAsync(new RegistryClient(session, endpoint, reference.RemotePath), reference, platform, ct).ConfigureAwait(false);
            }
            catch (SbuildException e) when (i < endpoints.Count - 1 && endpoint.IsMirror)
            {
                note($"mirror {endpoint} failed for {reference}: {e.Message}; trying {endpoints[i + 1]}");
            }
            catch (SbuildException e) when (e.Code == ErrorCode.RegistryUnreachable)
            {
                // Other errors already say what was asked for; a transport failure only knows the address.
                throw new SbuildException(e.Code, $"pull {reference}: {e.Message}", e);
            }
        }
    }

    private async Task<PulledImage> PullFromAsync(RegistryClient client, ImageReference reference, Platform platform, CancellationToken ct)
    {
        var what = $"pull {reference}";
        var top = await client.GetManifestAsync(reference.RemoteReference, what, ct).ConfigureAwait(false);
        var manifest = top;
        if (MediaTypes.IsIndex(top.Descriptor.MediaType))
        {
            var entries = ManifestJson.Manifests(top.Bytes);
            var chosen = PlatformMatcher.Select(entries, platform) ?? throw new SbuildException(ErrorCode.PlatformNotFound,
                $"{what}: the image has no variant for platform {platform} (it has: {string.Join(", ", entries.Where(e => e.Platform is not null).Select(e => e.Platform!.ToString()).Distinct())})");
            manifest = await client.GetManifestAsync(chosen.Digest.ToString(), what, ct).ConfigureAwait(false);
        }
        var (config, layers) = ManifestJson.Contents(manifest.Bytes, what);
        var missing = layers.Prepend(config).DistinctBy(d => d.Digest).Where(d => !store.Content.Exists(d.Digest)).ToList();
        if (missing.Count > 0)
            note($"pulling {reference.FullName} from {client.Endpoint}: {missing.Count} of {layers.Count + 1} blobs to download ({Megabytes(missing.Sum(d => d.Size))})");
        await Parallel.ForEachAsync(missing.OrderByDescending(d => d.Size),
            new ParallelOptions { MaxDegreeOfParallelism = session.Options.MaxConcurrentTransfers, CancellationToken = ct },
            async (blob, token) => await client.FetchBlobAsync(blob, store.Content, token).ConfigureAwait(false)).ConfigureAwait(false);

        // The manifest goes in last: until then nothing in the store points at the new blobs.
        var stored = store.Content.WriteBytes(manifest.Bytes, manifest.Descriptor.MediaType);
        foreach (var blob in layers.Prepend(config)) _origins.Record(blob.Digest, reference.Registry, reference.RemotePath);
        store.Tag(reference, stored);
        note($"pulled {reference}: {top.Descriptor.Digest}");
        return new PulledImage(reference, stored, top.Descriptor.Digest);
    }

    private static string Megabytes(long bytes) => $"{bytes / 1e6:0.0} MB";
}
