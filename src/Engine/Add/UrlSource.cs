using System.Net;
using System.Security.Cryptography;
using Sbuild.Core;

namespace Sbuild.Engine;

/// <summary>
/// Fetches the <c>http://</c> / <c>https://</c> sources of ADD. Content is streamed to a temporary file while it is
/// hashed, never held in memory, and never unpacked (Docker does not unpack remote archives).
/// </summary>
/// <param name="http">Client to use; redirects are followed as it is configured to.</param>
/// <param name="stallTimeout">How long to wait for the response headers, and then for each further piece of the body.</param>
public sealed class UrlSource(HttpClient http, TimeSpan stallTimeout)
{
    /// <summary>The name BuildKit gives a download whose URL path has no last segment.</summary>
    public const string UnnamedFile = "__unnamed__";

    private const int BufferSize = 81920;

    /// <summary>Go's path.Base of the URL's unescaped path: "http://h/a/b.tgz?x" → "b.tgz", "http://h/dir/" → "dir", "http://h/" → "__unnamed__".</summary>
    public static string FileNameFor(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return UnnamedFile;
        var path = Uri.UnescapeDataString(uri.AbsolutePath).TrimEnd('/');
        var name = path[(path.LastIndexOf('/') + 1)..];
        return name is "" or "." ? UnnamedFile : name;
    }

    /// <summary>
    /// Downloads <paramref name="url"/> into a new file in <paramref name="tempDirectory"/>. A status outside 2xx, a
    /// network error or a stall fails with SbuildException naming the URL; when <paramref name="expected"/> (the
    /// <c>--checksum</c> flag) is given and the content differs, the file is deleted and DigestMismatch is thrown.
    /// </summary>
    public async Task<DownloadedFile> DownloadAsync(string url, string tempDirectory, Digest? expected, CancellationToken ct)
    {
        var shown = Redact(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new SbuildException(ErrorCode.CopySourceNotFound, $"ADD source {shown} is not a valid http(s) URL");

        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var tempPath = Path.Combine(tempDirectory, $"download-{Guid.NewGuid():N}");
        try
        {
            stall.CancelAfter(stallTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.UserAgent.ParseAdd("sbuild");
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new SbuildException(ErrorCode.CopySourceNotFound,
                    $"cannot download {shown}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd());

            var (digest, size) = await SaveAsync(response.Content, tempPath, stall, ct).ConfigureAwait(false);
            if (expected is { } want && want != digest)
                throw new SbuildException(ErrorCode.DigestMismatch, $"checksum mismatch for {shown}: expected {want}, downloaded content is {digest}");
            return new DownloadedFile(url, tempPath, FileNameFor(url), digest, size, response.Content.Headers.LastModified, response.Headers.ETag?.ToString());
        }
        catch (Exception e) when (e is not SbuildException)
        {
            File.Delete(tempPath);
            if (e is OperationCanceledException && ct.IsCancellationRequested) throw;
            if (e is OperationCanceledException)
                throw new SbuildException(ErrorCode.CopySourceNotFound, $"cannot download {shown}: timed out after {stallTimeout.TotalSeconds:0.#} s without data", e);
            if (e is HttpRequestException or IOException)
                throw new SbuildException(ErrorCode.CopySourceNotFound, $"cannot download {shown}: {e.Message}", e);
            throw;
        }
        catch
        {
            File.Delete(tempPath);
            throw;
        }
    }

    /// <summary>Streams the body to a new 0600 file, hashing as it goes; every read restarts the stall timer.</summary>
    private async Task<(Digest Digest, long Size)> SaveAsync(HttpContent content, string tempPath, CancellationTokenSource stall, CancellationToken ct)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite, // BuildKit stores URL content as 0600
        };
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var file = new FileStream(tempPath, options);
        await using var body = await content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false);
        var buffer = new byte[BufferSize];
        long size = 0;
        while (true)
        {
            stall.CancelAfter(stallTimeout);
            var read = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
            if (read == 0) break;
            hash.AppendData(buffer, 0, read);
            await file.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
            size += read;
        }
        return (Digest.FromSha256Bytes(hash.GetHashAndReset()), size);
    }

    /// <summary>The URL without a password, for messages (BuildKit redacts credentials the same way).</summary>
    private static string Redact(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.UserInfo.Length == 0) return url;
        return new UriBuilder(uri) { UserName = "xxxxx", Password = "xxxxx" }.Uri.ToString();
    }
}
