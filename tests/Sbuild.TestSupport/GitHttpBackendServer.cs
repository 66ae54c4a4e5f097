using System.Diagnostics;
using System.Net;
using System.Text;

namespace Sbuild.TestSupport;

/// <summary>
/// git's smart HTTP protocol on 127.0.0.1: an <see cref="HttpListener"/> that hands every request to
/// <c>git http-backend</c> as a CGI program (request in its environment and stdin, the response's headers and body on
/// its stdout), serving the bare repositories under <see cref="ProjectRoot"/> at <c>http://127.0.0.1:PORT/NAME.git</c>.
/// </summary>
public sealed class GitHttpBackendServer : IDisposable
{
    private const string Backend = "/usr/lib/git-core/git-http-backend";
    private readonly HttpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly string _backend;

    public GitHttpBackendServer(string projectRoot)
    {
        _backend = Tools.Require(Backend, "apt-get install git (it has git-http-backend)");
        ProjectRoot = projectRoot;
        (_listener, Port) = HttpListeners.StartOnFreePort();
        _loop = HttpListeners.ServeAsync(_listener, AnswerAsync, _stop.Token);
    }

    /// <summary>The directory whose bare repositories are served (every one: GIT_HTTP_EXPORT_ALL).</summary>
    public string ProjectRoot { get; }

    public int Port { get; }

    public string Url(string repository) => $"http://127.0.0.1:{Port}/{repository}";

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var answer = context.Response;
        try
        {
            var info = new ProcessStartInfo(_backend)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.Environment["GIT_PROJECT_ROOT"] = ProjectRoot;
            info.Environment["GIT_HTTP_EXPORT_ALL"] = "1";
            info.Environment["REQUEST_METHOD"] = request.HttpMethod;
            info.Environment["PATH_INFO"] = request.Url!.AbsolutePath;
            info.Environment["QUERY_STRING"] = request.Url.Query.TrimStart('?');
            info.Environment["CONTENT_TYPE"] = request.ContentType ?? "";
            info.Environment["REMOTE_ADDR"] = request.RemoteEndPoint.Address.ToString();
            // The wire protocol version (v2) and a gzip-compressed request body are announced in headers git reads from the environment.
            if (request.Headers["Git-Protocol"] is { } protocol) info.Environment["GIT_PROTOCOL"] = protocol;
            if (request.Headers["Content-Encoding"] is { } encoding) info.Environment["HTTP_CONTENT_ENCODING"] = encoding;

            using var backend = Process.Start(info)!;
            var stdout = CopyToMemoryAsync(backend.StandardOutput.BaseStream);
            var stderr = backend.StandardError.ReadToEndAsync();
            await request.InputStream.CopyToAsync(backend.StandardInput.BaseStream);
            backend.StandardInput.Close();
            var output = await stdout;
            await backend.WaitForExitAsync();
            await stderr;
            WriteCgiResponse(output, answer);
        }
        catch (HttpListenerException)
        {
            // the client went away
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            answer.Abort();
        }
    }

    /// <summary>A CGI response: header lines up to an empty line (<c>Status: 404 Not Found</c> sets the status), then the body.</summary>
    private static void WriteCgiResponse(byte[] output, HttpListenerResponse answer)
    {
        var headerEnd = IndexOf(output, "\r\n\r\n"u8, out var separator);
        if (headerEnd < 0) headerEnd = IndexOf(output, "\n\n"u8, out separator);
        if (headerEnd < 0) throw new InvalidDataException("git http-backend wrote no CGI headers");
        foreach (var line in Encoding.ASCII.GetString(output, 0, headerEnd).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':');
            var (name, value) = (line[..colon], line[(colon + 1)..].Trim());
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase)) answer.StatusCode = int.Parse(value.Split(' ')[0]);
            else if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)) answer.ContentType = value;
            else if (!name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) answer.Headers[name] = value;
        }
        var bodyStart = headerEnd + separator;
        answer.ContentLength64 = output.Length - bodyStart;
        answer.OutputStream.Write(output, bodyStart, output.Length - bodyStart);
        answer.Close();
    }

    private static int IndexOf(byte[] data, ReadOnlySpan<byte> pattern, out int length)
    {
        length = pattern.Length;
        return data.AsSpan().IndexOf(pattern);
    }

    private static async Task<byte[]> CopyToMemoryAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public void Dispose() => HttpListeners.Stop(_listener, _stop, _loop);
}
