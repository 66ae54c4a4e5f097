using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Sbuild.TestSupport;

/// <summary>One request the token server answered, for tests that check what a client asked and how often.</summary>
/// <param name="PathAndQuery">As sent, e.g. <c>/token?scope=repository%3Ax%2Fy%3Apull%2Cpush&amp;service=…</c>.</param>
/// <param name="HadAuthorization">Whether the request carried an Authorization header at all.</param>
/// <param name="Account">The user name of valid Basic credentials; null for anonymous or rejected requests.</param>
/// <param name="Scopes">The decoded <c>scope</c> parameters, in order.</param>
/// <param name="Status">The status code answered (200, 400 or 401).</param>
public sealed record TokenRequest(string PathAndQuery, bool HadAuthorization, string? Account, IReadOnlyList<string> Scopes, int Status);

/// <summary>One entry of a token's <c>access</c> claim.</summary>
public sealed record TokenAccess(string Type, string Name, IReadOnlyList<string> Actions);

/// <summary>
/// A Docker token server (the "realm" of <c>WWW-Authenticate: Bearer</c>) for <see cref="RegistryServer"/>'s token mode:
/// <c>GET /token?service=S&amp;scope=repository:NAME:pull,push[&amp;scope=…]</c>, optionally with HTTP Basic credentials.
/// <list type="bullet">
/// <item>valid credentials are granted every action asked for;</item>
/// <item>anonymous requests are granted only <c>pull</c>, and only on repositories whose name starts with <c>public/</c>
///   (any other scope is left out of the token, which the registry then refuses with 401, as real servers do);</item>
/// <item>wrong or malformed credentials get 401; a missing or wrong <c>service</c> gets 400.</item>
/// </list>
/// Tokens are RS256 JWTs whose header carries the signing certificate in <c>x5c</c>; the same self-signed certificate
/// (<see cref="RootCertificatePem"/>) is the registry's <c>rootcertbundle</c>. distribution 2.8.2 verifies the x5c chain
/// against that bundle, and a self-signed certificate that is itself in the bundle passes (checked by
/// RegistryFixtureTests). The server records every request in <see cref="Requests"/> and counts tokens issued in
/// <see cref="TokensIssued"/>, so tests can check that a client reuses tokens instead of fetching one per request.
/// </summary>
public sealed class TokenServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly X509Certificate2 _signer;
    private readonly string _user;
    private readonly string _password;
    private readonly List<TokenRequest> _requests = [];
    private int _tokensIssued;

    public TokenServer(string service, string issuer, string user, string password)
    {
        Service = service;
        Issuer = issuer;
        _user = user;
        _password = password;
        _signer = TestCertificates.CreateTokenSigner(issuer);
        RootCertificatePem = _signer.ExportCertificatePem();
        (_listener, Port) = HttpListeners.StartOnFreePort();
        _loop = HttpListeners.ServeAsync(_listener, AnswerAsync, _stop.Token);
    }

    public int Port { get; }
    /// <summary>The URL the registry sends clients to: <c>http://127.0.0.1:PORT/token</c>.</summary>
    public string Realm => $"http://127.0.0.1:{Port}/token";
    public string Service { get; }
    public string Issuer { get; }
    /// <summary>The PEM of the (self-signed) signing certificate, to be the registry's <c>rootcertbundle</c>.</summary>
    public string RootCertificatePem { get; }
    /// <summary>Token lifetime, announced as <c>expires_in</c> and written as <c>exp</c>. The registry allows 60 s of clock skew.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>A snapshot of the requests answered so far, in order.</summary>
    public IReadOnlyList<TokenRequest> Requests
    {
        get
        {
            lock (_requests) return [.. _requests];
        }
    }

    public int TokensIssued => Volatile.Read(ref _tokensIssued);

    /// <summary>
    /// Signs a token for <paramref name="subject"/> granting <paramref name="access"/>, as the server does for a
    /// request (not counted in <see cref="TokensIssued"/>); for tests that need a token without the HTTP round trip.
    /// </summary>
    public string CreateToken(string subject, IReadOnlyList<TokenAccess> access, TimeSpan lifetime)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = Json(w =>
        {
            w.WriteString("typ", "JWT");
            w.WriteString("alg", "RS256");
            w.WriteStartArray("x5c");
            w.WriteStringValue(Convert.ToBase64String(_signer.RawData)); // standard base64 of the DER, per RFC 7515
            w.WriteEndArray();
        });
        var claims = Json(w =>
        {
            w.WriteString("iss", Issuer);
            w.WriteString("sub", subject);
            w.WriteString("aud", Service); // a string: distribution 2.8 does not take an array here
            w.WriteNumber("exp", now + (long)lifetime.TotalSeconds);
            w.WriteNumber("nbf", now - 1);
            w.WriteNumber("iat", now);
            w.WriteString("jti", Guid.NewGuid().ToString("N"));
            w.WriteStartArray("access");
            foreach (var a in access)
            {
                w.WriteStartObject();
                w.WriteString("type", a.Type);
                w.WriteString("name", a.Name);
                w.WriteStartArray("actions");
                foreach (var action in a.Actions) w.WriteStringValue(action);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
        var signingInput = Base64Url(header) + "." + Base64Url(claims);
        var key = _signer.GetRSAPrivateKey() ?? throw new InvalidOperationException("the token signer has no private key");
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var pathAndQuery = request.RawUrl ?? "";
        var authorization = request.Headers["Authorization"];
        var query = ParseQuery(request.Url?.Query ?? "");
        var scopes = query.Where(p => p.Key == "scope").SelectMany(p => p.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var service = query.LastOrDefault(p => p.Key == "service").Value;

        int status;
        string? account = null;
        byte[] body;
        if (request.HttpMethod != "GET" || request.Url?.AbsolutePath != "/token")
            (status, body) = (404, Error("only GET /token is served"));
        else if (service != Service)
            (status, body) = (400, Error($"service must be \"{Service}\", not \"{service}\""));
        else if (authorization is not null && !IsValidBasic(authorization))
        {
            (status, body) = (401, Error("invalid credentials"));
            context.Response.AddHeader("WWW-Authenticate", "Basic realm=\"sbuild-test-token\"");
        }
        else
        {
            account = authorization is null ? null : _user;
            var granted = scopes.Select(s => Grant(s, authenticated: account is not null)).OfType<TokenAccess>().ToList();
            var token = CreateToken(account ?? "", granted, TokenLifetime);
            Interlocked.Increment(ref _tokensIssued);
            status = 200;
            body = Json(w =>
            {
                w.WriteString("token", token);
                w.WriteString("access_token", token);
                w.WriteNumber("expires_in", (long)TokenLifetime.TotalSeconds);
                w.WriteString("issued_at", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));
            });
        }

        lock (_requests) _requests.Add(new TokenRequest(pathAndQuery, authorization is not null, account, scopes, status));
        var response = context.Response;
        try
        {
            response.StatusCode = status;
            response.ContentType = "application/json";
            response.ContentLength64 = body.Length;
            await response.OutputStream.WriteAsync(body, _stop.Token);
            response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            response.Abort(); // the client went away, or the server is being disposed
        }
    }

    /// <summary>
    /// The access to grant for one scope <c>TYPE:NAME:ACTIONS</c> (NAME may hold colons, e.g. a host:port prefix), or
    /// null for none. Unparseable scopes grant nothing.
    /// </summary>
    private static TokenAccess? Grant(string scope, bool authenticated)
    {
        var first = scope.IndexOf(':');
        var last = scope.LastIndexOf(':');
        if (first <= 0 || last <= first) return null;
        var type = scope[..first];
        var name = scope[(first + 1)..last];
        var actions = scope[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (!authenticated)
            actions = type == "repository" && name.StartsWith("public/", StringComparison.Ordinal)
                ? [.. actions.Where(a => a == "pull")]
                : [];
        return actions.Length > 0 ? new TokenAccess(type, name, actions) : null;
    }

    private bool IsValidBasic(string authorization)
    {
        const string prefix = "Basic ";
        if (!authorization.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return false;
        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[prefix.Length..].Trim()));
            return pair == _user + ":" + _password;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Query parameters in order, percent- and plus-decoded; repeated names (scope) stay separate.</summary>
    private static List<KeyValuePair<string, string>> ParseQuery(string query) =>
        query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(part =>
            {
                var eq = part.IndexOf('=');
                var key = eq < 0 ? part : part[..eq];
                var value = eq < 0 ? "" : part[(eq + 1)..];
                return KeyValuePair.Create(Decode(key), Decode(value));
            })
            .ToList();

    private static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));

    private static byte[] Error(string message) => Json(w => w.WriteString("error", message));

    private static byte[] Json(Action<Utf8JsonWriter> writeProperties)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose()
    {
        HttpListeners.Stop(_listener, _stop, _loop);
        _signer.Dispose();
    }
}
