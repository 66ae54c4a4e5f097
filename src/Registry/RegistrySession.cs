using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Sbuild.Core;
using Sbuild.Registry.Auth;

namespace Sbuild.Registry;

/// <summary>
/// Everything one sbuild command shares when talking to registries: HTTP clients, credentials, the tokens obtained
/// so far (reused per registry and scope until they expire) and the scheme found for each insecure registry.
/// Tokens and credentials live only in memory here and are never put into an exception message.
/// </summary>
public sealed class RegistrySession(RegistryOptions options, Func<string, RegistryCredential?> credentials) : IDisposable
{
    private readonly RegistryHttp _http = new(options);
    // One fetch per registry and scope set, shared by concurrent requests (blobs go in parallel) and reused until it expires.
    private readonly Dictionary<string, Task<CachedToken>> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AuthChallenge> _challenges = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Task<Uri>> _origins = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, RegistryCredential?> _credentials = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    public RegistryOptions Options => options;

    /// <summary>
    /// Where to pull <paramref name="registry"/>'s images from, in order: for Docker Hub its mirrors and then Hub
    /// itself; otherwise the registry (https, or plain http for an insecure registry that does not speak TLS).
    /// </summary>
    public async Task<IReadOnlyList<RegistryEndpoint>> PullEndpointsAsync(string registry, CancellationToken ct)
    {
        var endpoints = new List<RegistryEndpoint>();
        if (registry == ImageReference.DockerHub)
            endpoints.AddRange(options.Mirrors.Select(m => new RegistryEndpoint(Authority(m), m, IsMirror: true)));
        endpoints.Add(await OriginAsync(registry, ct).ConfigureAwait(false));
        return endpoints;
    }

    /// <summary>The registry itself (never a mirror): where pushes go.</summary>
    public async Task<RegistryEndpoint> OriginAsync(string registry, CancellationToken ct)
    {
        if (registry == ImageReference.DockerHub) return new RegistryEndpoint(registry, RegistryEndpoint.DockerHubApi, IsMirror: false);
        Task<Uri> origin;
        lock (_gate)
        {
            if (!_origins.TryGetValue(registry, out origin!))
                _origins[registry] = origin = ProbeSchemeAsync(registry, ct);
        }
        return new RegistryEndpoint(registry, await origin.ConfigureAwait(false), IsMirror: false);
    }

    /// <summary>
    /// Checks that the registry accepts this session's credentials (what <c>docker login</c> does): <c>GET /v2/</c>,
    /// answering its challenge; a refusal is <see cref="ErrorCode.AuthRefused"/>.
    /// </summary>
    public async Task CheckAccessAsync(string registry, CancellationToken ct)
    {
        var endpoint = await OriginAsync(registry, ct).ConfigureAwait(false);
        using var response = await SendAsync(endpoint, () => new HttpRequestMessage(HttpMethod.Get, endpoint.Api("")), [],
            HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw await RegistryErrors.FromResponseAsync(response, endpoint, $"log in to {registry}", CredentialFor(endpoint), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// https, unless plain http is allowed for the registry (<see cref="RegistryOptions.AllowsPlainHttp"/>), https
    /// fails, and http answers <c>/v2/</c> like a registry (200 or 401). A TLS registry whose certificate is not
    /// trusted stays on https, so its certificate error is what the user sees, and credentials never go out in clear
    /// text to a server that speaks TLS.
    /// </summary>
    private async Task<Uri> ProbeSchemeAsync(string registry, CancellationToken ct)
    {
        var https = new Uri("https://" + registry);
        if (!options.AllowsPlainHttp(registry) || await AnswersV2Async(https, ct).ConfigureAwait(false)) return https;
        var http = new Uri("http://" + registry);
        return await AnswersV2Async(http, ct).ConfigureAwait(false) ? http : https;
    }

    private async Task<bool> AnswersV2Async(Uri baseUri, CancellationToken ct)
    {
        try
        {
            using var probe = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, "/v2/"));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            using var response = await _http.For(baseUri).SendAsync(probe, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            return response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized;
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>
    /// Sends a request built by <paramref name="make"/> (called again for the retry) with the credentials the
    /// registry asks for: a cached token for these scopes, else a 401 challenge answered with Basic credentials or a
    /// bearer token from the challenge's realm. Transport failures become <see cref="ErrorCode.RegistryUnreachable"/>.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(RegistryEndpoint endpoint, Func<HttpRequestMessage> make, IReadOnlyList<string> scopes,
        HttpCompletionOption completion, CancellationToken ct)
    {
        var client = _http.For(endpoint.BaseUri);
        var (authorization, used) = await KnownAuthorizationAsync(endpoint, scopes, ct).ConfigureAwait(false);
        var response = await SendOnceAsync(client, endpoint, make, authorization, completion, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized) return response;

        var challenge = AuthChallenge.From(response.Headers);
        if (challenge is null) return response;
        lock (_gate) _challenges[endpoint.Registry] = challenge;
        var (fresh, _) = await AnswerAsync(endpoint, challenge, scopes, used, ct).ConfigureAwait(false);
        if (fresh is null) return response;
        response.Dispose();
        return await SendOnceAsync(client, endpoint, make, fresh, completion, ct).ConfigureAwait(false);
    }

    private static async Task<HttpResponseMessage> SendOnceAsync(HttpClient client, RegistryEndpoint endpoint, Func<HttpRequestMessage> make,
        AuthenticationHeaderValue? authorization, HttpCompletionOption completion, CancellationToken ct)
    {
        using var request = make();
        request.Headers.Authorization = authorization;
        try
        {
            return await client.SendAsync(request, completion, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(endpoint, e);
        }
    }

    public static SbuildException Unreachable(RegistryEndpoint endpoint, Exception e) =>
        new(ErrorCode.RegistryUnreachable, $"cannot reach registry {endpoint.Registry} at {endpoint}: {Reason(e)}", e);

    private static string Reason(Exception e)
    {
        // The innermost message says what happened (connection refused, name not resolved, TLS failure).
        var inner = e;
        while (inner.InnerException is { } next) inner = next;
        return inner == e || e.Message.Contains(inner.Message, StringComparison.Ordinal) ? e.Message : $"{e.Message} ({inner.Message})";
    }

    /// <summary>
    /// Authorization to send up front: the token for these scopes (waiting for a fetch another request started), or
    /// an answer to the challenge this registry gave before. Also returns the token task used, so a 401 renews it once.
    /// </summary>
    private async Task<(AuthenticationHeaderValue?, Task<CachedToken>?)> KnownAuthorizationAsync(RegistryEndpoint endpoint, IReadOnlyList<string> scopes, CancellationToken ct)
    {
        Task<CachedToken>? pending;
        AuthChallenge? challenge;
        lock (_gate)
        {
            _tokens.TryGetValue(TokenKey(endpoint, scopes), out pending);
            _challenges.TryGetValue(endpoint.Registry, out challenge);
        }
        if (pending is not null)
        {
            var token = await pending.ConfigureAwait(false);
            return (token.Expires > DateTimeOffset.UtcNow ? new AuthenticationHeaderValue("Bearer", token.Value) : null, pending);
        }
        return challenge is null ? (null, null) : await AnswerAsync(endpoint, challenge, scopes, null, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Basic credentials, or a bearer token: the one being fetched or held for these scopes unless it is
    /// <paramref name="stale"/> (just refused) or expired, in which case one new fetch starts for every waiting request.
    /// </summary>
    private async Task<(AuthenticationHeaderValue?, Task<CachedToken>?)> AnswerAsync(RegistryEndpoint endpoint, AuthChallenge challenge,
        IReadOnlyList<string> scopes, Task<CachedToken>? stale, CancellationToken ct)
    {
        var credential = CredentialFor(endpoint);
        if (challenge.IsBasic)
            return (credential is null ? null : new AuthenticationHeaderValue("Basic", BasicValue(credential)), null);
        Task<CachedToken> task;
        lock (_gate)
        {
            var key = TokenKey(endpoint, scopes);
            if (!_tokens.TryGetValue(key, out task!) || task == stale || (task.IsCompletedSuccessfully && task.Result.Expires <= DateTimeOffset.UtcNow))
                _tokens[key] = task = FetchTokenAsync(endpoint, challenge, credential, scopes, ct);
        }
        var token = await task.ConfigureAwait(false);
        return (new AuthenticationHeaderValue("Bearer", token.Value), task);
    }

    /// <summary>
    /// Docker's token flow: GET realm?service=…&amp;scope=… (Basic credentials when there are any), or for an identity
    /// token the OAuth2 refresh-token POST. A refused request is <see cref="ErrorCode.AuthRefused"/>.
    /// </summary>
    private async Task<CachedToken> FetchTokenAsync(RegistryEndpoint endpoint, AuthChallenge challenge, RegistryCredential? credential,
        IReadOnlyList<string> scopes, CancellationToken ct)
    {
        if (challenge.Realm is not { } realmText || !Uri.TryCreate(realmText, UriKind.Absolute, out var realm) || realm.Scheme is not ("http" or "https"))
            throw new SbuildException(ErrorCode.RegistryError, $"registry {endpoint.Registry} asked for a bearer token without a usable realm URL");
        using var request = credential is { IsIdentityToken: true }
            ? RefreshTokenRequest(realm, challenge.Service, scopes, credential)
            : TokenRequest(realm, challenge.Service, scopes, credential);
        HttpResponseMessage response;
        try
        {
            response = await _http.For(realm).SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new SbuildException(ErrorCode.RegistryUnreachable,
                $"cannot reach the token service of registry {endpoint.Registry} at {realm.GetLeftPart(UriPartial.Authority)}: {Reason(e)}", e);
        }
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                throw RegistryErrors.AuthRefused(endpoint.Registry, credential, "its token service refused the credentials");
            if (!response.IsSuccessStatusCode)
                throw new SbuildException(ErrorCode.RegistryError,
                    $"the token service of registry {endpoint.Registry} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            TokenResponse? body;
            try
            {
                body = await response.Content.ReadFromJsonAsync(RegistryJsonContext.Default.TokenResponse, ct).ConfigureAwait(false);
            }
            catch (JsonException)
            {
                body = null;
            }
            var value = body?.Token is { Length: > 0 } t ? t : body?.AccessToken;
            if (string.IsNullOrEmpty(value))
                throw new SbuildException(ErrorCode.RegistryError, $"the token service of registry {endpoint.Registry} answered without a token");
            // Renew a little early; the spec's default lifetime is 60 s.
            var lifetime = TimeSpan.FromSeconds(Math.Max(body!.ExpiresIn ?? 60, 60) - 10);
            return new CachedToken(value, DateTimeOffset.UtcNow + lifetime);
        }
    }

    /// <summary>The credentials stored for the endpoint's registry, looked up once per session (a helper may be a process).</summary>
    public RegistryCredential? CredentialFor(RegistryEndpoint endpoint)
    {
        lock (_gate)
        {
            if (_credentials.TryGetValue(endpoint.Registry, out var known)) return known;
        }
        var found = credentials(endpoint.Registry);
        lock (_gate) _credentials[endpoint.Registry] = found;
        return found;
    }

    private static HttpRequestMessage TokenRequest(Uri realm, string? service, IReadOnlyList<string> scopes, RegistryCredential? credential)
    {
        var query = new StringBuilder(realm.Query.Length > 1 ? realm.Query[1..] : "");
        void Add(string key, string value) => query.Append(query.Length > 0 ? "&" : "").Append(key).Append('=').Append(Uri.EscapeDataString(value));
        if (service is not null) Add("service", service);
        foreach (var scope in scopes) Add("scope", scope);
        if (credential is not null) Add("account", credential.Username);
        var request = new HttpRequestMessage(HttpMethod.Get, new UriBuilder(realm) { Query = query.ToString() }.Uri);
        if (credential is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", BasicValue(credential));
        return request;
    }

    private static HttpRequestMessage RefreshTokenRequest(Uri realm, string? service, IReadOnlyList<string> scopes, RegistryCredential credential)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "refresh_token"), new("refresh_token", credential.Secret), new("client_id", "sbuild"),
            new("service", service ?? ""), new("scope", string.Join(' ', scopes)),
        };
        return new HttpRequestMessage(HttpMethod.Post, realm) { Content = new FormUrlEncodedContent(form) };
    }

    private static string BasicValue(RegistryCredential credential) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Secret}"));

    private static string TokenKey(RegistryEndpoint endpoint, IReadOnlyList<string> scopes) =>
        endpoint.Registry + " " + string.Join(' ', scopes.Order(StringComparer.Ordinal));

    private static string Authority(Uri uri) => uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";

    private sealed record CachedToken(string Value, DateTimeOffset Expires);

    public void Dispose() => _http.Dispose();
}
