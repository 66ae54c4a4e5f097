using System.Net;
using System.Net.Http.Headers;
using Sbuild.Core;

namespace Sbuild.Registry;

/// <summary>A manifest or index as the registry served it: the exact bytes (its digest is the digest of these bytes).</summary>
public sealed record FetchedManifest(Descriptor Descriptor, byte[] Bytes);

/// <summary>
/// The distribution API for one repository on one endpoint: manifests, blob existence, verified blob downloads
/// (resumed with <c>Range</c> after a dropped connection), cross-repository mounts and uploads.
/// </summary>
public sealed class RegistryClient(RegistrySession session, RegistryEndpoint endpoint, string repository)
{
    /// <summary>Manifests larger than this are refused (the spec suggests registries accept at least 4 MiB).</summary>
    private const int MaxManifestBytes = 4 << 20;
    private const int MaxBlobAttempts = 5;
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);

    public static readonly string[] ManifestMediaTypes =
        [MediaTypes.OciIndex, MediaTypes.OciManifest, MediaTypes.DockerManifestList, MediaTypes.DockerManifest];

    public RegistryEndpoint Endpoint => endpoint;
    public string Repository => repository;

    private string PullScope => $"repository:{repository}:pull";
    private string PushScope => $"repository:{repository}:pull,push";

    /// <summary>GET a manifest by tag or digest, verifying its bytes against the digest asked for or announced.</summary>
    public async Task<FetchedManifest> GetManifestAsync(string reference, string what, CancellationToken ct)
    {
        using var response = await session.SendAsync(endpoint, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, endpoint.Api($"{repository}/manifests/{reference}"));
            foreach (var type in ManifestMediaTypes) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            return request;
        }, [PullScope], HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, what, ct).ConfigureAwait(false);
        if (response.Content.Headers.ContentLength > MaxManifestBytes)
            throw new SbuildException(ErrorCode.RegistryError, $"{what}: the manifest from {endpoint} is larger than {MaxManifestBytes >> 20} MiB");
        var bytes = await ReadLimitedAsync(response, what, ct).ConfigureAwait(false);
        var digest = Digest.Of(bytes);
        var expected = Digest.TryParse(reference, out var asked) ? asked
            : Digest.TryParse(response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null, out var announced) ? announced
            : (Digest?)null;
        if (expected is { } want && want != digest)
            throw new SbuildException(ErrorCode.DigestMismatch,
                $"{what}: the manifest from {endpoint} does not match its digest (expected {want}, got {digest}); nothing was stored");
        var mediaType = response.Content.Headers.ContentType?.MediaType is { } announcedType && ManifestMediaTypes.Contains(announcedType) ? announcedType : ManifestJson.MediaTypeOf(bytes);
        return new FetchedManifest(new Descriptor { MediaType = mediaType, Digest = digest, Size = bytes.Length }, bytes);
    }

    private async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int n;
            while ((n = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                buffer.Write(chunk, 0, n);
                if (buffer.Length > MaxManifestBytes)
                    throw new SbuildException(ErrorCode.RegistryError, $"{what}: the manifest from {endpoint} is larger than {MaxManifestBytes >> 20} MiB");
            }
            return buffer.ToArray();
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw RegistrySession.Unreachable(endpoint, e);
        }
    }

    public async Task<bool> BlobExistsAsync(Digest digest, CancellationToken ct)
    {
        using var response = await session.SendAsync(endpoint, () => new HttpRequestMessage(HttpMethod.Head, endpoint.Api($"{repository}/blobs/{digest}")),
            [PushScope], HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, $"check blob {digest.Short}", ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Downloads <paramref name="blob"/> into <paramref name="store"/>, hashing as it streams. A dropped connection is
    /// resumed with <c>Range: bytes=N-</c> (or restarted when the server ignores ranges); a body longer than the
    /// descriptor's size or with another digest is refused and nothing is stored.
    /// </summary>
    public async Task FetchBlobAsync(Descriptor blob, IContentStore store, CancellationToken ct)
    {
        var what = $"pull blob {blob.Digest}";
        var writer = store.OpenWriter();
        try
        {
            // What the writer holds is what has arrived: a retry asks for the rest (the writer's length, not a
            // counter that an exception in the middle of a read would leave behind).
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await FetchBlobRangeAsync(blob, writer, writer.Stream.Length, what, ct).ConfigureAwait(false);
                    if (writer.Stream.Length == blob.Size) break;
                    throw new TransferInterrupted(new IOException($"the connection ended after {writer.Stream.Length} of {blob.Size} bytes"));
                }
                catch (Exception e) when (e is TransferInterrupted || (e is SbuildException { Code: ErrorCode.RegistryUnreachable } && writer.Stream.Length > 0))
                {
                    if (attempt >= MaxBlobAttempts) throw RegistrySession.Unreachable(endpoint, e);
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct).ConfigureAwait(false);
                }
                catch (RestartBlob)
                {
                    writer.Dispose();
                    writer = store.OpenWriter();
                }
            }
            try
            {
                writer.Commit(blob.MediaType, blob.Digest);
            }
            catch (SbuildException e) when (e.Code == ErrorCode.DigestMismatch)
            {
                throw new SbuildException(ErrorCode.DigestMismatch,
                    $"{what} of {repository} from {endpoint}: the content does not match its digest ({e.Message}); the blob was discarded, nothing was stored");
            }
            catch (IOException e)
            {
                throw new SbuildException(ErrorCode.FileSystem, $"{what}: cannot write it into the local store: {e.Message}", e);
            }
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>One GET from offset <paramref name="from"/>, appending what arrives to <paramref name="writer"/>.</summary>
    private async Task FetchBlobRangeAsync(Descriptor blob, IContentWriter writer, long from, string what, CancellationToken ct)
    {
        using var response = await session.SendAsync(endpoint, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, endpoint.Api($"{repository}/blobs/{blob.Digest}"));
            if (from > 0) request.Headers.Range = new RangeHeaderValue(from, null);
            return request;
        }, [PullScope], HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (from > 0 && response.StatusCode == HttpStatusCode.OK) throw new RestartBlob();
        if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, what, ct).ConfigureAwait(false);
        if (from > 0 && response.Content.Headers.ContentRange?.From != from) throw new RestartBlob();

        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new byte[1 << 16];
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        while (true)
        {
            stall.CancelAfter(StallTimeout);
            int n;
            try
            {
                n = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TransferInterrupted(new IOException($"no data for {StallTimeout.TotalSeconds:0} s"));
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                throw new TransferInterrupted(e);
            }
            if (n == 0) return;
            if (writer.Stream.Length + n > blob.Size)
                throw new SbuildException(ErrorCode.DigestMismatch,
                    $"{what} of {repository} from {endpoint}: the registry sent more than the {blob.Size} bytes the manifest announces; nothing was stored");
            try
            {
                await writer.Stream.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                // The store's disk, not the network: retrying would not help (e.g. no space left on the device).
                throw new SbuildException(ErrorCode.FileSystem, $"{what}: cannot write it into the local store: {e.Message}", e);
            }
        }
    }

    /// <summary>The connection broke or stalled while a blob was arriving: worth resuming.</summary>
    private sealed class TransferInterrupted(Exception inner) : Exception(inner.Message, inner);

    /// <summary>The server answered a range request with the whole blob: start the blob over.</summary>
    private sealed class RestartBlob : Exception;

    /// <summary>
    /// Asks the registry to link <paramref name="digest"/> from <paramref name="fromRepository"/> (same registry)
    /// without uploading it. Returns null when mounted, else the upload URL the registry opened instead.
    /// </summary>
    public async Task<Uri?> StartUploadAsync(Digest digest, string? fromRepository, CancellationToken ct)
    {
        var query = fromRepository is null ? "" : $"?mount={digest}&from={Uri.EscapeDataString(fromRepository)}";
        IReadOnlyList<string> scopes = fromRepository is null ? [PushScope] : [PushScope, $"repository:{fromRepository}:pull"];
        using var response = await session.SendAsync(endpoint, () => new HttpRequestMessage(HttpMethod.Post, endpoint.Api($"{repository}/blobs/uploads/{query}"))
        {
            Content = new ByteArrayContent([]),
        }, scopes, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Created) return null;
        if (response.StatusCode != HttpStatusCode.Accepted) throw await ErrorAsync(response, $"start upload of blob {digest.Short}", ct).ConfigureAwait(false);
        return UploadLocation(response, digest);
    }

    /// <summary>
    /// Uploads a blob to the session <paramref name="location"/>: one streamed PUT when <paramref name="chunkSize"/> is
    /// null (monolithic), else PATCHes of at most that many bytes and a closing PUT (chunked). Memory stays bounded
    /// either way: bodies stream from <paramref name="content"/>.
    /// </summary>
    public async Task UploadBlobAsync(Uri location, Descriptor blob, Stream content, long? chunkSize, CancellationToken ct)
    {
        var what = $"upload blob {blob.Digest.Short}";
        if (chunkSize is { } size && blob.Size > 0)
        {
            for (long offset = 0; offset < blob.Size; offset += size)
            {
                var length = Math.Min(size, blob.Size - offset);
                var at = location;
                using var patch = await session.SendAsync(endpoint, () =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Patch, at) { Content = new StreamContent(new WindowStream(content, length)) };
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    request.Content.Headers.ContentLength = length;
                    request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
                    return request;
                }, [PushScope], HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                if (patch.StatusCode != HttpStatusCode.Accepted) throw await ErrorAsync(patch, what, ct).ConfigureAwait(false);
                location = UploadLocation(patch, blob.Digest);
            }
        }
        var final = WithQuery(location, "digest=" + Uri.EscapeDataString(blob.Digest.ToString()));
        var monolithic = chunkSize is null;
        using var put = await session.SendAsync(endpoint, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, final)
            {
                Content = monolithic ? new StreamContent(new WindowStream(content, blob.Size)) : new ByteArrayContent([]),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            request.Content.Headers.ContentLength = monolithic ? blob.Size : 0;
            return request;
        }, [PushScope], HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (put.StatusCode != HttpStatusCode.Created) throw await ErrorAsync(put, what, ct).ConfigureAwait(false);
    }

    /// <summary>PUT a manifest under a tag (or its digest); returns the digest the registry reports, checked against ours.</summary>
    public async Task<Digest> PutManifestAsync(string reference, Descriptor manifest, byte[] bytes, CancellationToken ct)
    {
        using var response = await session.SendAsync(endpoint, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, endpoint.Api($"{repository}/manifests/{reference}")) { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(manifest.MediaType);
            return request;
        }, [PushScope], HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created) throw await ErrorAsync(response, $"push manifest {repository}:{reference}", ct).ConfigureAwait(false);
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var reported) && reported != manifest.Digest)
            throw new SbuildException(ErrorCode.DigestMismatch, $"push manifest {repository}:{reference}: registry {endpoint.Registry} stored it as {reported}, not {manifest.Digest}");
        return manifest.Digest;
    }

    private Task<SbuildException> ErrorAsync(HttpResponseMessage response, string what, CancellationToken ct) =>
        RegistryErrors.FromResponseAsync(response, endpoint, $"{what} ({repository})", session.CredentialFor(endpoint), ct);

    /// <summary>The upload session URL from <c>Location</c>, which may be relative to the endpoint.</summary>
    private Uri UploadLocation(HttpResponseMessage response, Digest digest) =>
        response.Headers.Location is { } location
            ? location.IsAbsoluteUri ? location : new Uri(endpoint.BaseUri, location)
            : throw new SbuildException(ErrorCode.RegistryError, $"upload of blob {digest.Short} to {endpoint}: the registry gave no upload location");

    private static Uri WithQuery(Uri uri, string parameter)
    {
        var builder = new UriBuilder(uri);
        builder.Query = builder.Query.Length > 1 ? builder.Query[1..] + "&" + parameter : parameter;
        return builder.Uri;
    }
}
