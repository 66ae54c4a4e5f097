using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sbuild.TestSupport;

/// <summary>
/// Certificates made in the test with <see cref="CertificateRequest"/>, so no test depends on openssl or on files in
/// the repository that expire. Every certificate returned carries its private key. RSA 2048 throughout: the Go TLS
/// stack of docker-registry and skopeo and .NET all accept it, and RS256 tokens need an RSA key anyway.
/// </summary>
public static class TestCertificates
{
    /// <summary>Back-dated so a clock a little behind (or Go's strict NotBefore check) does not reject a fresh certificate.</summary>
    private static readonly TimeSpan BackDate = TimeSpan.FromDays(1);
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);

    /// <summary>A self-signed CA certificate (basic constraints CA, key usage cert-sign) for issuing server certificates.</summary>
    public static X509Certificate2 CreateAuthority(string commonName)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now - BackDate, now + Lifetime);
    }

    /// <summary>
    /// A TLS server certificate signed by <paramref name="authority"/> for the given IP addresses and host names
    /// (subject alternative names: modern Go and .NET ignore the common name).
    /// </summary>
    public static X509Certificate2 IssueServerCertificate(
        X509Certificate2 authority, IEnumerable<IPAddress> addresses, IEnumerable<string> hostNames)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=sbuild-test-server", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var address in addresses) san.AddIpAddress(address);
        foreach (var name in hostNames) san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // serverAuth
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        // The authority's own validity, exactly: CertificateRequest refuses a leaf outliving its issuer by a millisecond.
        using var signed = request.Create(authority, authority.NotBefore.ToUniversalTime(), authority.NotAfter.ToUniversalTime(), serial);
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>
    /// A self-signed certificate for signing registry tokens. It has no extended key usage on purpose: the registry
    /// checks the token's x5c chain with Go's x509 verification, whose default usage (server auth) any certificate
    /// without an EKU extension satisfies.
    /// </summary>
    public static X509Certificate2 CreateTokenSigner(string commonName)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now - BackDate, now + Lifetime);
    }

    /// <summary>The unencrypted PKCS#8 PEM of the certificate's RSA private key (Go's tls.LoadX509KeyPair reads it).</summary>
    public static string PrivateKeyPem(X509Certificate2 certificate) =>
        (certificate.GetRSAPrivateKey() ?? throw new ArgumentException("the certificate has no RSA private key", nameof(certificate)))
        .ExportPkcs8PrivateKeyPem();

    /// <summary>An HttpClient handler that trusts exactly <paramref name="authority"/> (and no system root) for TLS.</summary>
    public static SocketsHttpHandler TrustingHandler(X509Certificate2 authority)
    {
        var trusted = X509CertificateLoader.LoadCertificate(authority.RawData); // public part only
        return new SocketsHttpHandler
        {
            SslOptions =
            {
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { trusted },
                    RevocationMode = X509RevocationMode.NoCheck,
                },
            },
        };
    }
}
