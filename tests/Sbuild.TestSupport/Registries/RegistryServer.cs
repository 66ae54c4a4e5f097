using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Sbuild.TestSupport;

/// <summary>
/// A real registry for tests: Debian's <c>docker-registry</c> (distribution 2.8.2) on <c>127.0.0.1:PORT</c>, with
/// filesystem storage in a temporary directory and deletes enabled. Each instance is private to the test that started
/// it (start-up takes well under a second), so tests never see each other's repositories.
/// <para>
/// The factory methods return once <c>GET /v2/</c> answers; a registry that does not come up within 20 s fails the test
/// with the end of its log. Dispose kills the process and deletes its directory; as a safety net against a test host
/// that exits without disposing, registries still running at process exit are killed too.
/// </para>
/// </summary>
public sealed class RegistryServer : IAsyncDisposable
{
    public const string BinaryPath = "/usr/bin/docker-registry";
    public const string InstallHint = "apt-get install docker-registry";
    /// <summary>The <c>service</c> (token audience) and <c>issuer</c> of token mode.</summary>
    public const string TokenService = "sbuild-test-registry";
    public const string TokenIssuer = "sbuild-test-issuer";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Registries not yet disposed, killed at process exit if a test forgot (or never reached) DisposeAsync.</summary>
    private static readonly HashSet<Process> Running = [];

    private readonly TempDirectory _dir;
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly TokenServer? _tokens;
    private readonly X509Certificate2? _authority;
    private int _disposed;

    static RegistryServer()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (Running)
                foreach (var process in Running) Kill(process);
        };
    }

    private RegistryServer(TempDirectory dir, int port, Process process, StreamWriter log, string scheme,
        TokenServer? tokens, X509Certificate2? authority, string? caPath)
    {
        _dir = dir;
        _process = process;
        _log = log;
        _tokens = tokens;
        _authority = authority;
        Address = $"127.0.0.1:{port}";
        Scheme = scheme;
        CaCertificatePath = caPath;
        CaCertificatePem = authority?.ExportCertificatePem();
    }

    /// <summary><c>127.0.0.1:PORT</c>, the registry part of image references.</summary>
    public string Address { get; }
    /// <summary><c>http</c>, or <c>https</c> for <see cref="StartTlsAsync"/>.</summary>
    public string Scheme { get; }
    /// <summary><c>SCHEME://127.0.0.1:PORT</c>, without a trailing slash.</summary>
    public string BaseUrl => $"{Scheme}://{Address}";
    /// <summary>The storage root (<c>docker/registry/v2/…</c> below it), for tests that inspect or damage stored data.</summary>
    public string RootDirectory => _dir.Combine("storage");
    /// <summary>The registry's stdout and stderr (access log and errors); deleted on dispose.</summary>
    public string LogPath => _dir.Combine("registry.log");
    /// <summary>TLS mode: a PEM file with the CA that signed the server certificate; null otherwise.</summary>
    public string? CaCertificatePath { get; }
    public string? CaCertificatePem { get; }
    /// <summary>Token mode: the token server the registry sends clients to.</summary>
    public TokenServer Tokens => _tokens ?? throw new InvalidOperationException("this registry was not started in token mode (StartTokenAuthAsync)");

    /// <summary>Plain http, no authentication.</summary>
    public static Task<RegistryServer> StartOpenAsync(CancellationToken ct) =>
        StartAsync(new TempDirectory("sbuild-registry-"), "http", auth: null, tls: null, tokens: null, ct);

    /// <summary>
    /// https with a server certificate for 127.0.0.1 and localhost signed by a CA made for this registry; clients must
    /// trust <see cref="CaCertificatePath"/> (skopeo: a <c>--cert-dir</c> holding it as <c>ca.crt</c>).
    /// </summary>
    public static Task<RegistryServer> StartTlsAsync(CancellationToken ct)
    {
        var dir = new TempDirectory("sbuild-registry-");
        try
        {
            var authority = TestCertificates.CreateAuthority("sbuild test registry CA");
            using var server = TestCertificates.IssueServerCertificate(authority, [IPAddress.Loopback], ["localhost"]);
            var tls = new TlsFiles(dir.Combine("ca.crt"), dir.Combine("server.crt"), dir.Combine("server.key"), authority);
            File.WriteAllText(tls.CaPath, authority.ExportCertificatePem() + "\n");
            File.WriteAllText(tls.CertificatePath, server.ExportCertificatePem() + "\n");
            File.WriteAllText(tls.KeyPath, TestCertificates.PrivateKeyPem(server) + "\n");
            return StartAsync(dir, "https", auth: null, tls, tokens: null, ct);
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    /// <summary>Plain http with htpasswd Basic authentication for one user (file made by <c>htpasswd -Bbn</c>).</summary>
    public static async Task<RegistryServer> StartBasicAuthAsync(string user, string password, CancellationToken ct)
    {
        var htpasswd = Tools.Require("htpasswd", "apt-get install apache2-utils");
        var dir = new TempDirectory("sbuild-registry-");
        try
        {
            var entry = await ProcessRunner.RunAsync(htpasswd, ["-Bbn", user, password], ct);
            var path = dir.Combine("htpasswd");
            await File.WriteAllTextAsync(path, entry.StandardOutput.Trim() + "\n", ct);
            var auth = $"""
                auth:
                  htpasswd:
                    realm: sbuild-test-registry
                    path: {path}
                """;
            return await StartAsync(dir, "http", auth, tls: null, tokens: null, ct);
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Plain http with Docker token authentication against a <see cref="TokenServer"/> (see there for who gets what)
    /// that knows one user; the server is <see cref="Tokens"/> and lives as long as the registry.
    /// </summary>
    public static async Task<RegistryServer> StartTokenAuthAsync(string user, string password, CancellationToken ct)
    {
        var dir = new TempDirectory("sbuild-registry-");
        TokenServer? tokens = null;
        try
        {
            tokens = new TokenServer(TokenService, TokenIssuer, user, password);
            var bundle = dir.Combine("token-root.pem");
            await File.WriteAllTextAsync(bundle, tokens.RootCertificatePem + "\n", ct);
            var auth = $"""
                auth:
                  token:
                    realm: {tokens.Realm}
                    service: {TokenService}
                    issuer: {TokenIssuer}
                    rootcertbundle: {bundle}
                """;
            return await StartAsync(dir, "http", auth, tls: null, tokens, ct);
        }
        catch
        {
            tokens?.Dispose();
            dir.Dispose();
            throw;
        }
    }

    /// <summary>
    /// An HttpClient for this registry that trusts its CA in TLS mode (and nothing else; plain http needs no trust),
    /// without credentials and without following redirects, so tests see exactly what the registry answered.
    /// </summary>
    public HttpClient CreateHttpClient()
    {
        var handler = _authority is null ? new SocketsHttpHandler() : TestCertificates.TrustingHandler(_authority);
        handler.AllowAutoRedirect = false;
        return new HttpClient(handler) { BaseAddress = new Uri(BaseUrl + "/"), Timeout = TimeSpan.FromMinutes(2) };
    }

    /// <summary>The last <paramref name="lines"/> lines of the log, for assertion messages.</summary>
    public string ReadLogTail(int lines = 40) => Tail(LogPath, lines);

    private sealed record TlsFiles(string CaPath, string CertificatePath, string KeyPath, X509Certificate2 Authority);

    private static async Task<RegistryServer> StartAsync(
        TempDirectory dir, string scheme, string? auth, TlsFiles? tls, TokenServer? tokens, CancellationToken ct)
    {
        var binary = Tools.Require(BinaryPath, InstallHint);
        var port = TestHttpServer.FreePort();
        var storage = Directory.CreateDirectory(dir.Combine("storage")).FullName;
        var config = dir.Combine("config.yml");
        await File.WriteAllTextAsync(config, Config(port, storage, auth, tls), ct);

        var info = new ProcessStartInfo(binary)
        {
            ArgumentList = { "serve", config },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = dir.Path,
        };
        // REGISTRY_* variables override the config file; one left in the environment must not change the test.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("REGISTRY_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(name);

        var log = new StreamWriter(dir.Combine("registry.log"), append: false, Encoding.UTF8) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => WriteLine(log, e.Data);
        process.ErrorDataReceived += (_, e) => WriteLine(log, e.Data);
        var server = new RegistryServer(dir, port, process, log, scheme, tokens, tls?.Authority, tls?.CaPath);
        try
        {
            lock (Running)
            {
                process.Start();
                Running.Add(process);
            }
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await server.WaitUntilAnsweringAsync(ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private static string Config(int port, string storage, string? auth, TlsFiles? tls)
    {
        var tlsSection = tls is null ? "" : $"\n  tls:\n    certificate: {tls.CertificatePath}\n    key: {tls.KeyPath}";
        // Upload purging and the storage health check would only add background work and log noise to short tests.
        return $"""
            version: 0.1
            log:
              level: info
              formatter: text
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: {storage}
              delete:
                enabled: true
              maintenance:
                uploadpurging:
                  enabled: false
            health:
              storagedriver:
                enabled: false
            http:
              addr: 127.0.0.1:{port}
              secret: sbuild-test-secret{tlsSection}
            {auth ?? ""}

            """;
    }

    private async Task WaitUntilAnsweringAsync(CancellationToken ct)
    {
        using var client = CreateHttpClient();
        client.Timeout = TimeSpan.FromSeconds(2);
        var deadline = DateTime.UtcNow + StartTimeout;
        string lastProblem = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException(
                    $"docker-registry exited with code {_process.ExitCode} before answering on {BaseUrl}; the end of its log:\n{ReadLogTail()}");
            try
            {
                using var response = await client.GetAsync("v2/", ct);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized) return;
                lastProblem = $"GET /v2/ answered {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                lastProblem = e.Message;
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                lastProblem = "GET /v2/ timed out";
            }
            await Task.Delay(50, ct);
        }
        throw new TimeoutException(
            $"docker-registry did not answer GET {BaseUrl}/v2/ within {StartTimeout.TotalSeconds} s ({lastProblem}); the end of its log:\n{ReadLogTail()}");
    }

    private static void WriteLine(StreamWriter log, string? line)
    {
        if (line is null) return;
        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // output arriving after dispose
            }
        }
    }

    private static string Tail(string path, int lines)
    {
        if (!File.Exists(path)) return "(no log)";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var all = new StreamReader(stream).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return all.Length == 0 ? "(empty log)" : string.Join('\n', all.TakeLast(lines));
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // never started, or exited meanwhile
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (Running) Running.Remove(_process);
        Kill(_process);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            // never started, or did not die in time; the temp directory goes anyway
        }
        _process.Dispose();
        lock (_log) _log.Dispose();
        _tokens?.Dispose();
        _authority?.Dispose();
        _dir.Dispose();
    }
}
