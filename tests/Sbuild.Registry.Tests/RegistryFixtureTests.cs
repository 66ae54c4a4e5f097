using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Registry.Tests;

/// <summary>
/// The registry fixtures (<see cref="RegistryServer"/>, <see cref="TokenServer"/>, <see cref="FaultyProxy"/>) checked
/// with independent clients (skopeo and plain HttpClient), so a failing registry-client test can be blamed on the
/// client and not on its fixture. Each test runs its own registry.
/// </summary>
public sealed class RegistryFixtureTests : IDisposable
{
    private const string User = "sbuild-user";
    private const string Password = "correct horse battery";

    private readonly TempDirectory _work = new("sbuild-registry-fixture-");
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(90));

    private CancellationToken Ct => _timeout.Token;

    public void Dispose()
    {
        _timeout.Dispose();
        _work.Dispose();
    }

    [Fact]
    public async Task An_open_registry_takes_a_push_serves_it_back_and_allows_deletes()
    {
        await using var registry = await RegistryServer.StartOpenAsync(Ct);
        var image = OciTestImage.Write(_work.Combine("layout"));

        await SkopeoOkAsync("copy", "--dest-tls-verify=false", image.Reference, $"docker://{registry.Address}/x/y:1");
        var inspected = await InspectOkAsync("--tls-verify=false", $"docker://{registry.Address}/x/y:1");

        Assert.Equal(("http", $"http://{registry.Address}"), (registry.Scheme, registry.BaseUrl));
        AssertIsImage(image, inspected);
        Assert.True(Directory.Exists(Path.Combine(registry.RootDirectory, "docker", "registry", "v2", "repositories", "x", "y")));
        Assert.Contains("PUT /v2/x/y/manifests/1", await File.ReadAllTextAsync(registry.LogPath, Ct));
        using var http = registry.CreateHttpClient();
        using var delete = await http.DeleteAsync($"v2/x/y/manifests/{image.ManifestDigest}", Ct);
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
    }

    [Fact]
    public async Task A_tls_registry_is_trusted_by_clients_given_its_CA_and_by_no_one_else()
    {
        await using var registry = await RegistryServer.StartTlsAsync(Ct);
        var image = OciTestImage.Write(_work.Combine("layout"));
        var certDir = Directory.CreateDirectory(_work.Combine("certs")).FullName;
        File.Copy(registry.CaCertificatePath!, Path.Combine(certDir, "ca.crt"));

        await SkopeoOkAsync("copy", "--dest-cert-dir", certDir, image.Reference, $"docker://{registry.Address}/x/y:1");
        AssertIsImage(image, await InspectOkAsync("--cert-dir", certDir, $"docker://{registry.Address}/x/y:1"));
        var untrusting = await SkopeoAsync("inspect", $"docker://{registry.Address}/x/y:1");

        Assert.Equal("https", registry.Scheme);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", registry.CaCertificatePem);
        Assert.NotEqual(0, untrusting.ExitCode);
        Assert.Contains("certificate signed by unknown authority", untrusting.StandardError);
        using (var trusting = registry.CreateHttpClient())
        using (var ok = await trusting.GetAsync("v2/", Ct))
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var defaultTrust = new HttpClient();
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => defaultTrust.GetAsync($"{registry.BaseUrl}/v2/", Ct));
        Assert.IsType<System.Security.Authentication.AuthenticationException>(refused.InnerException);
    }

    [Fact]
    public async Task A_basic_auth_registry_refuses_anonymous_and_wrong_credentials_and_accepts_the_user()
    {
        await using var registry = await RegistryServer.StartBasicAuthAsync(User, Password, Ct);
        var image = OciTestImage.Write(_work.Combine("layout"));
        var target = $"docker://{registry.Address}/x/y:1";

        var anonymous = await SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-no-creds", image.Reference, target);
        var wrong = await SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-creds", $"{User}:wrong", image.Reference, target);
        await SkopeoOkAsync("copy", "--dest-tls-verify=false", "--dest-creds", $"{User}:{Password}", image.Reference, target);
        var inspected = await InspectOkAsync("--tls-verify=false", "--creds", $"{User}:{Password}", target);
        var anonymousPull = await SkopeoAsync("inspect", "--tls-verify=false", "--no-creds", target);

        Assert.NotEqual(0, anonymous.ExitCode);
        Assert.Contains("authentication required", anonymous.StandardError);
        Assert.NotEqual(0, wrong.ExitCode);
        AssertIsImage(image, inspected);
        Assert.NotEqual(0, anonymousPull.ExitCode);
        using var http = registry.CreateHttpClient();
        using var challenge = await http.GetAsync("v2/", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        Assert.Equal("Basic", Assert.Single(challenge.Headers.WwwAuthenticate).Scheme);
    }

    [Fact]
    public async Task A_token_auth_registry_lets_the_user_push_anyone_pull_public_repositories_and_nothing_else()
    {
        await using var registry = await RegistryServer.StartTokenAuthAsync(User, Password, Ct);
        var tokens = registry.Tokens;
        var image = OciTestImage.Write(_work.Combine("layout"));
        string[] creds = ["--dest-tls-verify=false", "--dest-creds", $"{User}:{Password}"];

        var anonymousPush = await SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-no-creds", image.Reference, $"docker://{registry.Address}/public/z:1");
        var wrongPassword = await SkopeoAsync("copy", "--dest-tls-verify=false", "--dest-creds", $"{User}:nope", image.Reference, $"docker://{registry.Address}/x/y:1");
        await SkopeoOkAsync(["copy", .. creds, image.Reference, $"docker://{registry.Address}/x/y:1"]);
        await SkopeoOkAsync(["copy", .. creds, image.Reference, $"docker://{registry.Address}/public/z:1"]);
        var publicPull = await InspectOkAsync("--tls-verify=false", "--no-creds", $"docker://{registry.Address}/public/z:1");
        var privatePull = await SkopeoAsync("inspect", "--tls-verify=false", "--no-creds", $"docker://{registry.Address}/x/y:1");

        Assert.NotEqual(0, anonymousPush.ExitCode);
        Assert.NotEqual(0, wrongPassword.ExitCode);
        AssertIsImage(image, publicPull);
        Assert.NotEqual(0, privatePull.ExitCode);
        var requests = tokens.Requests;
        Assert.Contains(requests, r => r is { Account: User, HadAuthorization: true, Status: 200 } && r.Scopes.Contains("repository:x/y:pull,push"));
        Assert.Contains(requests, r => r is { HadAuthorization: false, Status: 200 } && r.Scopes.Contains("repository:public/z:pull"));
        Assert.Contains(requests, r => r is { HadAuthorization: true, Account: null, Status: 401 });
        Assert.All(requests, r => Assert.StartsWith("/token?", r.PathAndQuery));
        Assert.Equal(requests.Count(r => r.Status == 200), tokens.TokensIssued);

        // The challenge names the token server, and a token the server signs is accepted as is (x5c header).
        using var http = registry.CreateHttpClient();
        using var challenge = await http.GetAsync("v2/x/y/tags/list", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        var bearer = Assert.Single(challenge.Headers.WwwAuthenticate);
        Assert.Equal(
            $"realm=\"{tokens.Realm}\",service=\"{RegistryServer.TokenService}\",scope=\"repository:x/y:pull\"",
            bearer.Parameter);
        var token = tokens.CreateToken(User, [new TokenAccess("repository", "x/y", ["pull"])], TimeSpan.FromMinutes(5));
        using var tagsRequest = new HttpRequestMessage(HttpMethod.Get, "v2/x/y/tags/list");
        tagsRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var tags = await http.SendAsync(tagsRequest, Ct);
        Assert.Equal(HttpStatusCode.OK, tags.StatusCode);
        Assert.Equal("""{"name":"x/y","tags":["1"]}""", (await tags.Content.ReadAsStringAsync(Ct)).Trim());
        // The signature is really checked: the same claims signed by another key (its own x5c) are refused.
        using var impostor = new TokenServer(RegistryServer.TokenService, RegistryServer.TokenIssuer, User, Password);
        using var forgedRequest = new HttpRequestMessage(HttpMethod.Get, "v2/x/y/tags/list");
        forgedRequest.Headers.Authorization = new AuthenticationHeaderValue(
            "Bearer", impostor.CreateToken(User, [new TokenAccess("repository", "x/y", ["pull"])], TimeSpan.FromMinutes(5)));
        using var forged = await http.SendAsync(forgedRequest, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
    }

    [Fact]
    public async Task Without_faults_the_proxy_passes_pushes_and_pulls_through_unchanged()
    {
        await using var registry = await RegistryServer.StartOpenAsync(Ct);
        await using var proxy = new FaultyProxy(registry);
        var image = OciTestImage.Write(_work.Combine("layout"), "t", "random.bin", RandomNumberGenerator.GetBytes(300_000));

        await SkopeoOkAsync("copy", "--dest-tls-verify=false", image.Reference, $"docker://{proxy.Address}/x/y:1");
        // Pulled with HttpClient, not skopeo: see FaultyProxy's note on repeated header lines.
        using var http = new HttpClient();
        using var manifestRequest = ManifestRequest(HttpMethod.Get, $"{proxy.BaseUrl}/v2/x/y/manifests/1");
        manifestRequest.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.docker.distribution.manifest.v2+json"));
        using var manifest = await http.SendAsync(manifestRequest, Ct);
        var layer = await http.GetByteArrayAsync($"{proxy.BaseUrl}/v2/x/y/blobs/{image.LayerDigest}", Ct);

        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal(image.ManifestDigest, Digest.Of(await manifest.Content.ReadAsByteArrayAsync(Ct)));
        Assert.Equal(OciTestImage.ManifestMediaType, manifest.Content.Headers.ContentType?.MediaType);
        Assert.Equal(image.ReadLayer(), layer);
        AssertIsImage(image, await InspectOkAsync("--tls-verify=false", $"docker://{registry.Address}/x/y:1"));
        var seen = proxy.Requests;
        // Uploads followed the rewritten Location back through the proxy, and HEAD checks were answered.
        Assert.Contains(seen, r => r.Method == "PATCH" && r.PathAndQuery.StartsWith("/v2/x/y/blobs/uploads/", StringComparison.Ordinal));
        Assert.Contains(seen, r => r.Method == "PUT" && r.PathAndQuery.StartsWith("/v2/x/y/blobs/uploads/", StringComparison.Ordinal));
        Assert.Contains(seen, r => r.Method == "HEAD" && r.PathAndQuery == $"/v2/x/y/blobs/{image.LayerDigest}");
        Assert.Contains(seen, r => r.Method == "PUT" && r.PathAndQuery == "/v2/x/y/manifests/1");
    }

    [Fact]
    public async Task The_proxy_corrupts_one_blob_response_or_all_of_them()
    {
        var (registry, proxy, image) = await PushedBehindProxyAsync();
        await using var _r = registry;
        await using var _p = proxy;
        using var http = new HttpClient();
        var layerUrl = $"{proxy.BaseUrl}/v2/x/y/blobs/{image.LayerDigest}";
        var configUrl = $"{proxy.BaseUrl}/v2/x/y/blobs/{image.ConfigDigest}";

        proxy.CorruptBlob(image.LayerDigest, always: false);
        var config = await http.GetByteArrayAsync(configUrl, Ct); // another digest: untouched, and the fault stays armed
        var corrupted = await http.GetByteArrayAsync(layerUrl, Ct);
        var next = await http.GetByteArrayAsync(layerUrl, Ct);
        proxy.CorruptBlob(null, always: true);
        var always1 = await http.GetByteArrayAsync(layerUrl, Ct);
        var always2 = await http.GetByteArrayAsync(layerUrl, Ct);
        var anyBlob = await http.GetByteArrayAsync(configUrl, Ct);
        proxy.Reset();
        var healed = await http.GetByteArrayAsync(layerUrl, Ct);

        Assert.Equal(image.ConfigDigest, Digest.Of(config));
        Assert.Equal(image.LayerSize, corrupted.Length);
        Assert.NotEqual(image.LayerDigest, Digest.Of(corrupted));
        Assert.Equal(1, corrupted.Zip(image.ReadLayer()).Count(p => p.First != p.Second));
        Assert.Equal(image.LayerDigest, Digest.Of(next));
        Assert.NotEqual(image.LayerDigest, Digest.Of(always1));
        Assert.NotEqual(image.LayerDigest, Digest.Of(always2));
        Assert.NotEqual(image.ConfigDigest, Digest.Of(anyBlob));
        Assert.Equal(image.LayerDigest, Digest.Of(healed));
    }

    [Fact]
    public async Task The_proxy_drops_a_blob_mid_body_and_a_range_request_resumes_it()
    {
        var (registry, proxy, image) = await PushedBehindProxyAsync();
        await using var _r = registry;
        await using var _p = proxy;
        using var http = new HttpClient();
        var layerUrl = $"{proxy.BaseUrl}/v2/x/y/blobs/{image.LayerDigest}";
        const int DropAfter = 100_000;

        proxy.DropBlobAfter(image.LayerDigest, DropAfter);
        var received = new MemoryStream();
        using (var first = await http.GetAsync(layerUrl, HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(image.LayerSize, first.Content.Headers.ContentLength);
            await using var body = await first.Content.ReadAsStreamAsync(Ct);
            await Assert.ThrowsAnyAsync<IOException>(() => body.CopyToAsync(received, Ct));
        }
        using var resume = new HttpRequestMessage(HttpMethod.Get, layerUrl);
        resume.Headers.Range = new RangeHeaderValue(received.Length, null);
        using var rest = await http.SendAsync(resume, Ct);
        await rest.Content.CopyToAsync(received, Ct);

        Assert.Equal(HttpStatusCode.PartialContent, rest.StatusCode);
        Assert.Equal(image.LayerSize - DropAfter, rest.Content.Headers.ContentLength);
        Assert.Equal(image.LayerDigest, Digest.Of(received.ToArray()));
        var gets = proxy.Requests.Where(r => r.PathAndQuery.EndsWith(image.LayerDigest.ToString(), StringComparison.Ordinal) && r.Method == "GET").ToList();
        Assert.Equal([null, $"bytes={DropAfter}-"], gets.Select(r => r.Range));
    }

    [Fact]
    public async Task The_proxy_rate_limits_manifests_with_retry_after_until_reset()
    {
        var (registry, proxy, image) = await PushedBehindProxyAsync();
        await using var _r = registry;
        await using var _p = proxy;
        using var http = new HttpClient();
        var manifestUrl = $"{proxy.BaseUrl}/v2/x/y/manifests/1";

        proxy.RateLimitManifests(7);
        using var get = await http.SendAsync(ManifestRequest(HttpMethod.Get, manifestUrl), Ct);
        using var head = await http.SendAsync(ManifestRequest(HttpMethod.Head, manifestUrl), Ct);
        using var blob = await http.GetAsync($"{proxy.BaseUrl}/v2/x/y/blobs/{image.ConfigDigest}", Ct);
        proxy.Reset();
        using var after = await http.SendAsync(ManifestRequest(HttpMethod.Get, manifestUrl), Ct);
        using var headAfter = await http.SendAsync(ManifestRequest(HttpMethod.Head, manifestUrl), Ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, get.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), get.Headers.RetryAfter?.Delta);
        Assert.Contains("TOOMANYREQUESTS", await get.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.TooManyRequests, head.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), head.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, blob.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(image.ManifestDigest, Digest.Of(await after.Content.ReadAsByteArrayAsync(Ct)));
        Assert.Equal(image.ManifestDigest.ToString(), after.Headers.GetValues("Docker-Content-Digest").Single());
        // HEAD through the proxy keeps the GET's length and digest headers, with no body.
        Assert.Equal(HttpStatusCode.OK, headAfter.StatusCode);
        Assert.Equal(after.Content.Headers.ContentLength, headAfter.Content.Headers.ContentLength);
        Assert.Equal(image.ManifestDigest.ToString(), headAfter.Headers.GetValues("Docker-Content-Digest").Single());
    }

    /// <summary>An open registry holding a one-layer image (a ~300 kB random layer) as x/y:1, and a proxy in front of it.</summary>
    private async Task<(RegistryServer, FaultyProxy, OciTestImage)> PushedBehindProxyAsync()
    {
        var registry = await RegistryServer.StartOpenAsync(Ct);
        try
        {
            var image = OciTestImage.Write(_work.Combine("layout"), "t", "random.bin", RandomNumberGenerator.GetBytes(300_000));
            await SkopeoOkAsync("copy", "--dest-tls-verify=false", image.Reference, $"docker://{registry.Address}/x/y:1");
            return (registry, new FaultyProxy(registry), image);
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }
    }

    private static HttpRequestMessage ManifestRequest(HttpMethod method, string url)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciTestImage.ManifestMediaType));
        return request;
    }

    private static void AssertIsImage(OciTestImage image, JsonElement inspected)
    {
        Assert.Equal(image.ManifestDigest.ToString(), inspected.GetProperty("Digest").GetString());
        Assert.Equal([image.LayerDigest.ToString()], inspected.GetProperty("Layers").EnumerateArray().Select(l => l.GetString()));
    }

    /// <summary><c>skopeo inspect ARGS…</c> (which must succeed), its JSON output parsed.</summary>
    private async Task<JsonElement> InspectOkAsync(params string[] args)
    {
        var result = await SkopeoOkAsync(["inspect", .. args]);
        return JsonDocument.Parse(result.StandardOutput).RootElement.Clone();
    }

    private async Task<ProcessResult> SkopeoOkAsync(params string[] args)
    {
        var result = await SkopeoAsync(args);
        Assert.True(result.ExitCode == 0, $"skopeo {string.Join(' ', args)} failed ({result.ExitCode}):\n{result.StandardError}");
        return result;
    }

    /// <summary>
    /// Runs skopeo, allowing failure. The auth file points at a file that does not exist, so credentials stored on
    /// this machine cannot change what a test sees; the policy is insecureAcceptAnything, the tests check digests.
    /// </summary>
    private Task<ProcessResult> SkopeoAsync(params string[] args) =>
        ProcessRunner.RunAsync(Tools.Skopeo, ["--insecure-policy", .. args], new ProcessRunOptions
        {
            AllowFailure = true,
            Timeout = TimeSpan.FromSeconds(60),
            Environment = new Dictionary<string, string?> { ["REGISTRY_AUTH_FILE"] = _work.Combine("no-auth.json") },
        }, Ct);
}
