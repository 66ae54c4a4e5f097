using System.Net;
using System.Net.Sockets;

namespace Sbuild.TestSupport;

/// <summary>What the test server answers for one path.</summary>
/// <param name="StallAfterBytes">When set, the server sends this many body bytes of a longer announced length and then goes silent.</param>
/// <param name="ETag">The ETag header to send, as it goes on the wire (quotes included).</param>
public sealed record TestResponse(int Status, byte[] Body, DateTimeOffset? LastModified = null, int? StallAfterBytes = null, string? ETag = null);

/// <summary>A real HTTP server on 127.0.0.1 (HttpListener on a free port) serving fixed responses; unknown paths get 404.</summary>
public sealed class TestHttpServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Dictionary<string, TestResponse> _responses = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public TestHttpServer()
    {
        (_listener, Port) = HttpListeners.StartOnFreePort();
        _loop = HttpListeners.ServeAsync(_listener, AnswerAsync, _stop.Token);
    }

    public int Port { get; }

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    /// <summary>Paths requested so far, in order.</summary>
    public List<string> Requests { get; } = [];

    public TestHttpServer Serve(string path, TestResponse response)
    {
        lock (_responses) _responses[path] = response;
        return this;
    }

    /// <summary>A port nothing listens on at the moment (the kernel picks it for a socket we close again).</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var path = context.Request.Url!.AbsolutePath;
        TestResponse? response;
        lock (_responses)
        {
            Requests.Add(path);
            _responses.TryGetValue(path, out response);
        }
        response ??= new TestResponse(404, "not found"u8.ToArray());
        var answer = context.Response;
        try
        {
            answer.StatusCode = response.Status;
            if (response.LastModified is { } lastModified) answer.Headers[HttpResponseHeader.LastModified] = lastModified.ToString("R");
            if (response.ETag is { } etag) answer.Headers[HttpResponseHeader.ETag] = etag;
            if (response.StallAfterBytes is { } sent)
            {
                answer.ContentLength64 = response.Body.Length;
                await answer.OutputStream.WriteAsync(response.Body.AsMemory(0, sent));
                await answer.OutputStream.FlushAsync();
                await Task.Delay(Timeout.Infinite, _stop.Token); // until the test is over
            }
            answer.ContentLength64 = response.Body.Length;
            await answer.OutputStream.WriteAsync(response.Body);
            answer.Close();
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            answer.Abort();
        }
        catch (HttpListenerException)
        {
            // the client went away
        }
    }

    public void Dispose()
    {
        HttpListeners.Stop(_listener, _stop, _loop);
    }
}
