using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Sbuild.Registry;

/// <summary>
/// One <see cref="HttpClient"/> per registry authority (<c>host[:port]</c>), each trusting the system roots plus that
/// host's CA certificates from the certs.d directories, or (for an insecure registry) any certificate. Clients are
/// kept for the life of the process so connections are reused across manifests, blobs and token requests.
/// </summary>
public sealed class RegistryHttp(RegistryOptions options) : IDisposable
{
    private readonly Dictionary<string, HttpClient> _clients = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    public RegistryOptions Options => options;

    public HttpClient For(Uri uri)
    {
        var authority = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
        if (uri.HostNameType == UriHostNameType.IPv6) authority = uri.IsDefaultPort ? $"[{uri.Host}]" : $"[{uri.Host}]:{uri.Port}";
        lock (_gate)
        {
            if (!_clients.TryGetValue(authority, out var client))
                _clients[authority] = client = Create(authority);
            return client;
        }
    }

    private HttpClient Create(string authority)
    {
        var insecure = options.IsInsecure(authority);
        var extraRoots = LoadCertificates(authority);
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            // Blob GETs are redirected to storage (S3, CDNs) by many registries; the handler drops Authorization on redirect.
            AllowAutoRedirect = true,
            MaxConnectionsPerServer = Math.Max(options.MaxConcurrentTransfers, 2) * 2,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                    errors == SslPolicyErrors.None || insecure || TrustedByExtraRoots(certificate, chain, errors, extraRoots),
            },
        };
        // Per-request timeouts come from cancellation tokens and stall detection, not from a whole-transfer limit.
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    private static bool TrustedByExtraRoots(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (roots.Count == 0 || certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors) return false;
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
            foreach (var element in chain.ChainElements) custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf);
    }

    /// <summary>Every <c>*.crt</c> in <c>DIR/AUTHORITY/</c> of the certificate directories (docker's certs.d layout).</summary>
    private X509Certificate2Collection LoadCertificates(string authority)
    {
        var roots = new X509Certificate2Collection();
        foreach (var dir in options.CertificateDirectories)
        {
            var hostDir = Path.Combine(dir, authority);
            if (!Directory.Exists(hostDir)) continue;
            foreach (var file in Directory.EnumerateFiles(hostDir, "*.crt").Order(StringComparer.Ordinal))
                roots.ImportFromPemFile(file);
        }
        return roots;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var client in _clients.Values) client.Dispose();
            _clients.Clear();
        }
    }
}
