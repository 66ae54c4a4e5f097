using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Sbuild.Core;

namespace Sbuild.TestSupport;

/// <summary>One request the proxy received, as the client sent it.</summary>
/// <param name="Range">The Range header, e.g. <c>bytes=1000-</c>; null when absent.</param>
public sealed record ProxiedRequest(string Method, string PathAndQuery, string? Range);

/// <summary>
/// A reverse proxy on <c>127.0.0.1:PORT</c> in front of a plain-http registry that damages answers on request, for
/// testing how a registry client copes with a network and a registry misbehaving:
/// <list type="bullet">
/// <item><see cref="CorruptBlob"/>: one byte in the middle of a blob body flipped (length unchanged);</item>
/// <item><see cref="DropBlobAfter"/>: the real status and headers (full Content-Length), then only the first bytes of
///   the body and an aborted connection;</item>
/// <item><see cref="RateLimitManifests"/>: 429 with Retry-After for manifest GET and HEAD.</item>
/// </list>
/// Blob faults apply to <c>GET /v2/NAME/blobs/DIGEST</c> answers for one digest, or for any blob when the digest is
/// null. Faults can be changed at any time, from any thread. Everything else is forwarded as is: method, path and
/// query, headers (Authorization, Range, Content-Type, …) and bodies, streamed both ways so 50 MB blobs are not held
/// in memory; a Location pointing at the upstream is rewritten to point at the proxy, so uploads go through it too.
/// <para>
/// Limitation of the listening side: .NET's managed HttpListener keeps only the last line of a request header sent on
/// several lines (its request parser does <c>Headers.Set</c>). .NET's HttpClient, and so sbuild, joins the values into
/// one line and is forwarded faithfully; Go clients such as skopeo send one <c>Accept</c> line per manifest type, of
/// which the registry then sees only the last, so do not pull images through the proxy with skopeo (pushing works).
/// </para>
/// </summary>
public sealed partial class FaultyProxy : IAsyncDisposable
{
    /// <summary>Hop-by-hop headers (RFC 9110 §7.6.1) and those the two HTTP stacks set themselves.</summary>
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Host", "Content-Length", "Expect",
    };

    private readonly HttpListener _listener;
    private readonly HttpClient _upstream;
    private readonly Uri _upstreamBase;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Lock _gate = new();
    private readonly List<ProxiedRequest> _requests = [];
    private BlobFault? _corrupt;
    private BlobFault? _drop;
    private int? _retryAfterSeconds;

    /// <summary>A blob fault: which digest (null: any), how many more requests it hits (null: all), and the drop offset.</summary>
    private sealed class BlobFault(Digest? digest, int? remaining, long dropAfter = 0)
    {
        public Digest? Digest { get; } = digest;
        public int? Remaining { get; set; } = remaining;
        public long DropAfter { get; } = dropAfter;
    }

    /// <summary>A proxy in front of <paramref name="upstream"/>, which must speak plain http.</summary>
    public FaultyProxy(RegistryServer upstream) : this(new Uri(upstream.BaseUrl))
    {
    }

    /// <summary>A proxy in front of <paramref name="upstreamBaseUrl"/> (<c>http://host:port</c>).</summary>
    public FaultyProxy(Uri upstreamBaseUrl)
    {
        if (upstreamBaseUrl.Scheme != Uri.UriSchemeHttp)
            throw new ArgumentException($"the proxy forwards to plain http only, not to {upstreamBaseUrl}", nameof(upstreamBaseUrl));
        _upstreamBase = new Uri(upstreamBaseUrl.GetLeftPart(UriPartial.Authority) + "/");
        _upstream = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan, // the client decides how long it waits; large bodies take what they take
        };
        (_listener, Port) = HttpListeners.StartOnFreePort();
        _loop = HttpListeners.ServeAsync(_listener, HandleAsync, _stop.Token);
    }

    public int Port { get; }
    /// <summary><c>127.0.0.1:PORT</c>, the registry part of image references through the proxy.</summary>
    public string Address => $"127.0.0.1:{Port}";
    public string BaseUrl => $"http://{Address}";

    /// <summary>A snapshot of the requests received so far, in order of arrival.</summary>
    public IReadOnlyList<ProxiedRequest> Requests
    {
        get
        {
            lock (_gate) return [.. _requests];
        }
    }

    /// <summary>
    /// Flips one byte in the middle of the body of blob GETs for <paramref name="digest"/> (null: any blob), on the next
    /// such request only or, with <paramref name="always"/>, on every one. Replaces an earlier corruption fault.
    /// </summary>
    public void CorruptBlob(Digest? digest, bool always)
    {
        lock (_gate) _corrupt = new BlobFault(digest, always ? null : 1);
    }

    /// <summary>
    /// For the next <paramref name="times"/> blob GETs for <paramref name="digest"/> (null: any blob): sends the real
    /// status and headers, then only the first <paramref name="bytes"/> (at least 1) body bytes, then aborts the
    /// connection. Later requests, such as a resume with <c>Range: bytes=N-</c>, pass unharmed. Replaces an earlier drop fault.
    /// </summary>
    public void DropBlobAfter(Digest? digest, long bytes, int times = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        lock (_gate) _drop = new BlobFault(digest, times, bytes);
    }

    /// <summary>Answers every manifest GET and HEAD with 429 Too Many Requests and <c>Retry-After: SECONDS</c>, until <see cref="Reset"/>.</summary>
    public void RateLimitManifests(int retryAfterSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retryAfterSeconds);
        lock (_gate) _retryAfterSeconds = retryAfterSeconds;
    }

    /// <summary>Removes all faults; <see cref="Requests"/> is kept.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _corrupt = null;
            _drop = null;
            _retryAfterSeconds = null;
        }
    }

    [GeneratedRegex("^/v2/(?<name>.+)/blobs/(?<digest>[a-z0-9]+:[a-zA-Z0-9=_-]+)$")]
    private static partial Regex BlobPath();

    [GeneratedRegex("^/v2/(?<name>.+)/manifests/(?<reference>[^/]+)$")]
    private static partial Regex ManifestPath();

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var pathAndQuery = request.RawUrl ?? "/";
        var path = Uri.UnescapeDataString(request.Url?.AbsolutePath ?? "/");
        var isRead = request.HttpMethod is "GET" or "HEAD";
        bool corrupt = false;
        long? dropAfter = null;
        int? retryAfter;
        lock (_gate)
        {
            _requests.Add(new ProxiedRequest(request.HttpMethod, pathAndQuery, request.Headers["Range"]));
            retryAfter = isRead && ManifestPath().IsMatch(path) ? _retryAfterSeconds : null;
            if (request.HttpMethod == "GET" && BlobPath().Match(path) is { Success: true } blob && Digest.TryParse(blob.Groups["digest"].Value, out var digest))
            {
                corrupt = Take(ref _corrupt, digest) is not null;
                dropAfter = Take(ref _drop, digest)?.DropAfter;
            }
        }

        try
        {
            if (retryAfter is { } seconds)
            {
                await AnswerRateLimitedAsync(response, seconds);
                return;
            }
            await ForwardAsync(request, response, pathAndQuery, corrupt, dropAfter);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            response.Abort(); // the client went away, or the proxy is being disposed
        }
        catch (HttpRequestException e)
        {
            await AnswerBadGatewayAsync(response, e);
        }
    }

    /// <summary>The fault in <paramref name="slot"/> if it applies to <paramref name="digest"/>, using up one of its requests.</summary>
    private static BlobFault? Take(ref BlobFault? slot, Digest digest)
    {
        if (slot is not { } fault || (fault.Digest is { } wanted && wanted != digest)) return null;
        if (fault.Remaining is { } remaining)
        {
            if (remaining <= 1) slot = null;
            else fault.Remaining = remaining - 1;
        }
        return fault;
    }

    private async Task ForwardAsync(HttpListenerRequest request, HttpListenerResponse response, string pathAndQuery, bool corrupt, long? dropAfter)
    {
        using var upstreamRequest = new HttpRequestMessage(new HttpMethod(request.HttpMethod), new Uri(_upstreamBase, pathAndQuery));
        if (request.HasEntityBody)
        {
            upstreamRequest.Content = new StreamContent(request.InputStream, 1 << 16);
            if (request.ContentLength64 >= 0) upstreamRequest.Content.Headers.ContentLength = request.ContentLength64;
        }
        foreach (var name in request.Headers.AllKeys.OfType<string>())
        {
            if (NotForwarded.Contains(name) || request.Headers.GetValues(name) is not { } values) continue;
            if (!upstreamRequest.Headers.TryAddWithoutValidation(name, values))
                upstreamRequest.Content?.Headers.TryAddWithoutValidation(name, values);
        }

        using var upstreamResponse = await _upstream.SendAsync(upstreamRequest, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
        response.StatusCode = (int)upstreamResponse.StatusCode;
        foreach (var (name, values) in upstreamResponse.Headers.Concat(upstreamResponse.Content.Headers))
        {
            if (NotForwarded.Contains(name)) continue;
            foreach (var value in values)
                response.AppendHeader(name, name.Equals("Location", StringComparison.OrdinalIgnoreCase) ? RewriteLocation(value) : value);
        }
        var length = upstreamResponse.Content.Headers.ContentLength;
        var status = (int)upstreamResponse.StatusCode;
        if (request.HttpMethod == "HEAD" || status is 204 or 304 || status < 200)
        {
            // No body follows; the announced length is the upstream's (for HEAD: the size of what GET would return).
            if (length is { } announced) response.ContentLength64 = announced;
            response.Close();
            return;
        }
        if (length is { } known) response.ContentLength64 = known;
        else response.SendChunked = true;

        await using var body = await upstreamResponse.Content.ReadAsStreamAsync(_stop.Token);
        var output = response.OutputStream;
        // Corruption flips the middle byte of what is sent (of the range, for a Range request); unknown length: the first.
        var corruptAt = corrupt ? (length ?? 0) / 2 : -1;
        var buffer = new byte[1 << 16];
        long sent = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, _stop.Token)) > 0)
        {
            if (corruptAt >= sent && corruptAt < sent + read) buffer[corruptAt - sent] ^= 0xFF;
            if (dropAfter is { } limit && sent + read >= limit)
            {
                await output.WriteAsync(buffer.AsMemory(0, (int)(limit - sent)), _stop.Token);
                await output.FlushAsync(_stop.Token);
                response.Abort();
                return;
            }
            await output.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            sent += read;
        }
        response.Close();
    }

    /// <summary>An upstream Location (<c>http://UPSTREAM/v2/…</c>) made to point at the proxy; other values are kept.</summary>
    private string RewriteLocation(string location)
    {
        var upstream = _upstreamBase.GetLeftPart(UriPartial.Authority);
        return location.StartsWith(upstream + "/", StringComparison.OrdinalIgnoreCase) || location.Equals(upstream, StringComparison.OrdinalIgnoreCase)
            ? BaseUrl + location[upstream.Length..]
            : location;
    }

    private static async Task AnswerRateLimitedAsync(HttpListenerResponse response, int retryAfterSeconds)
    {
        var body = Encoding.UTF8.GetBytes(
            """{"errors":[{"code":"TOOMANYREQUESTS","message":"rate limited by FaultyProxy","detail":null}]}""");
        response.StatusCode = 429;
        response.AppendHeader("Retry-After", retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        response.ContentType = "application/json";
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body);
        response.Close();
    }

    private static async Task AnswerBadGatewayAsync(HttpListenerResponse response, HttpRequestException e)
    {
        try
        {
            var body = Encoding.UTF8.GetBytes($"FaultyProxy: upstream request failed: {e.Message}");
            response.StatusCode = 502;
            response.ContentLength64 = body.Length;
            await response.OutputStream.WriteAsync(body);
            response.Close();
        }
        catch (Exception inner) when (inner is HttpListenerException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            response.Abort(); // headers were already sent, or the client is gone
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await Task.Run(() => HttpListeners.Stop(_listener, _stop, _loop));
        _upstream.Dispose();
    }
}
