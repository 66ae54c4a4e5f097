using Sbuild.Core;

namespace Sbuild.Registry;

/// <summary>
/// Pushes an image of the local store to a registry: each blob the registry lacks is mounted from another repository
/// of the same registry when sbuild knows one that has it, else uploaded (streamed, in one PUT or in chunks of
/// <see cref="RegistryOptions.UploadChunkSize"/>); the manifest goes last, byte for byte as stored, so its digest (returned)
/// is the local one.
/// </summary>
public sealed class ImagePusher(RegistrySession session, ImageStore store, Action<string> note)
{
    private readonly BlobOrigins _origins = new(store.Root);

    public async Task<Digest> PushAsync(Descriptor manifest, ImageReference destination, CancellationToken ct)
    {
        var endpoint = await session.OriginAsync(destination.Registry, ct).ConfigureAwait(false);
        var client = new RegistryClient(session, endpoint, destination.RemotePath);
        byte[] bytes;
        using (var stream = store.Content.OpenRead(manifest.Digest))
        using (var buffer = new MemoryStream())
        {
            await stream.CopyToAsync(buffer, ct).ConfigureAwait(false);
            bytes = buffer.ToArray();
        }
        var (config, layers) = ManifestJson.Contents(bytes, $"push {destination}");
        var blobs = layers.Prepend(config).DistinctBy(d => d.Digest).ToList();
        int uploaded = 0, mounted = 0, present = 0;
        await Parallel.ForEachAsync(blobs.OrderByDescending(b => b.Size),
            new ParallelOptions { MaxDegreeOfParallelism = session.Options.MaxConcurrentTransfers, CancellationToken = ct },
            async (blob, token) =>
            {
                switch (await PushBlobAsync(client, blob, token).ConfigureAwait(false))
                {
                    case BlobPush.Uploaded: Interlocked.Increment(ref uploaded); break;
                    case BlobPush.Mounted: Interlocked.Increment(ref mounted); break;
                    default: Interlocked.Increment(ref present); break;
                }
                _origins.Record(blob.Digest, destination.Registry, destination.RemotePath);
            }).ConfigureAwait(false);
        var digest = await client.PutManifestAsync(destination.Tag ?? manifest.Digest.ToString(), manifest, bytes, ct).ConfigureAwait(false);
        note($"pushed {destination}: {digest} ({uploaded} blobs uploaded, {mounted} mounted, {present} already there)");
        return digest;
    }

    private enum BlobPush { Present, Mounted, Uploaded }

    private async Task<BlobPush> PushBlobAsync(RegistryClient client, Descriptor blob, CancellationToken ct)
    {
        if (await client.BlobExistsAsync(blob.Digest, ct).ConfigureAwait(false)) return BlobPush.Present;
        var from = _origins.MountSource(blob.Digest, client.Endpoint.Registry, client.Repository);
        var location = await client.StartUploadAsync(blob.Digest, from, ct).ConfigureAwait(false);
        if (location is null) return BlobPush.Mounted;
        await using var content = store.Content.OpenRead(blob.Digest);
        await client.UploadBlobAsync(location, blob, content, session.Options.UploadChunkSize, ct).ConfigureAwait(false);
        return BlobPush.Uploaded;
    }
}
