using Sbuild.Core;

namespace Sbuild.Registry;

/// <summary>
/// Pushes an image of the local store to a registry: each blob the registry lacks is mounted from another repository
/// of the same registry when sbuild knows one that has it, else uploaded (streamed, in one PUT or in chunks of
/// <see cref="RegistryOptions.UploadChunkSize"/>); each manifest goes after its blobs, byte for byte as stored, so its
/// digest (returned) is the local one. A multi-platform image (an index kept whole) is pushed whole: every platform's
/// blobs and manifest (attestations too) by digest, then the index under the tag, as containerd's push does.
/// </summary>
public sealed class ImagePusher(RegistrySession session, ImageStore store, Action<string> note)
{
    private readonly BlobOrigins _origins = new(store.Root);

    public async Task<Digest> PushAsync(Descriptor manifest, ImageReference destination, CancellationToken ct)
    {
        var endpoint = await session.OriginAsync(destination.Registry, ct).ConfigureAwait(false);
        var client = new RegistryClient(session, endpoint, destination.RemotePath);
        var target = PushTarget(manifest, destination);
        var counts = new BlobCounts();
        var digest = await PushNodeAsync(client, target, destination, destination.Tag ?? target.Digest.ToString(), counts, ct).ConfigureAwait(false);
        note($"pushed {destination}: {digest} ({counts.Uploaded} blobs uploaded, {counts.Mounted} mounted, {counts.Present} already there)");
        return digest;
    }

    /// <summary>
    /// What to push for <paramref name="root"/>: itself when the store has all it references. An index whose other
    /// platforms' content is absent is pushed as moby's containerd store does (daemon/containerd/image_push.go): the host
    /// platform's manifest alone, with docker's note; with that one incomplete too, an error naming what is missing.
    /// </summary>
    private Descriptor PushTarget(Descriptor root, ImageReference destination)
    {
        if (!MediaTypes.IsIndex(root.MediaType)) return root;
        var missing = Missing(root);
        if (missing.Count == 0) return root;
        var host = StoredPlatforms.Select(store.Content, root, Platform.Host);
        if (host is not null && Missing(host).Count == 0)
        {
            note($"Not all multiplatform-content is present and only the available single-platform image was pushed\n{root.Digest} -> {host.Digest}");
            return host;
        }
        throw new SbuildException(ErrorCode.BlobNotFound,
            $"push {destination}: the local store lacks {missing.Count} blob(s) of {root.Digest} ({string.Join(", ", missing.Take(3).Select(d => $"{d.Digest} ({d.MediaType})"))}{(missing.Count > 3 ? ", …" : "")}), " +
            (host is null ? $"and it has no {Platform.Host} image to push instead, so nothing was pushed" : $"the {Platform.Host} image among them, so nothing was pushed") + "; pull or load the image again to have all of it");
    }

    private List<Descriptor> Missing(Descriptor root) =>
        ImageGraph.Reachable(store.Content, root, skipMissing: true).Where(d => !store.Content.Exists(d.Digest)).ToList();

    private sealed class BlobCounts
    {
        public int Uploaded, Mounted, Present;
    }

    /// <summary>Pushes a manifest after its blobs, or an index after its manifests, and puts it under <paramref name="reference"/>.</summary>
    private async Task<Digest> PushNodeAsync(RegistryClient client, Descriptor node, ImageReference destination, string reference, BlobCounts counts, CancellationToken ct)
    {
        byte[] bytes;
        using (var stream = store.Content.OpenRead(node.Digest))
        using (var buffer = new MemoryStream())
        {
            await stream.CopyToAsync(buffer, ct).ConfigureAwait(false);
            bytes = buffer.ToArray();
        }
        if (MediaTypes.IsIndex(node.MediaType))
        {
            foreach (var child in ManifestJson.Manifests(bytes).DistinctBy(c => c.Digest))
                await PushNodeAsync(client, child, destination, child.Digest.ToString(), counts, ct).ConfigureAwait(false);
            return await client.PutManifestAsync(reference, node, bytes, ct).ConfigureAwait(false);
        }
        var (config, layers) = ManifestJson.Contents(bytes, $"push {destination}");
        var blobs = layers.Prepend(config).DistinctBy(d => d.Digest).ToList();
        await Parallel.ForEachAsync(blobs.OrderByDescending(b => b.Size),
            new ParallelOptions { MaxDegreeOfParallelism = session.Options.MaxConcurrentTransfers, CancellationToken = ct },
            async (blob, token) =>
            {
                switch (await PushBlobAsync(client, blob, token).ConfigureAwait(false))
                {
                    case BlobPush.Uploaded: Interlocked.Increment(ref counts.Uploaded); break;
                    case BlobPush.Mounted: Interlocked.Increment(ref counts.Mounted); break;
                    default: Interlocked.Increment(ref counts.Present); break;
                }
                _origins.Record(blob.Digest, destination.Registry, destination.RemotePath);
            }).ConfigureAwait(false);
        return await client.PutManifestAsync(reference, node, bytes, ct).ConfigureAwait(false);
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
