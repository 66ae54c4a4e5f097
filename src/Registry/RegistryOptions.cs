using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sbuild.Core;

namespace Sbuild.Registry;

/// <summary>
/// How sbuild reaches registries: Docker Hub mirrors, registries that may use plain http or unverified TLS, and
/// where extra CA certificates live. Read from sbuild's config file (docker daemon.json's key names) at the CLI edge.
/// </summary>
public sealed record RegistryOptions
{
    /// <summary>Docker Hub mirrors (<c>http(s)://host[:port]</c>), tried in order before Docker Hub itself.</summary>
    public IReadOnlyList<Uri> Mirrors { get; init; } = [];

    /// <summary>Hosts (<c>host[:port]</c>) or CIDR ranges that may be reached over plain http or unverified TLS.</summary>
    public IReadOnlyList<string> InsecureRegistries { get; init; } = [];

    /// <summary>
    /// Directories holding <c>HOST[:PORT]/*.crt</c> CA certificates, as docker's <c>/etc/docker/certs.d</c>; searched in
    /// order, every match is trusted in addition to the system's roots.
    /// </summary>
    public IReadOnlyList<string> CertificateDirectories { get; init; } = [];

    /// <summary>At most this many blobs are transferred at once per image (docker's default is 3).</summary>
    public int MaxConcurrentTransfers { get; init; } = 4;

    /// <summary>
    /// Null: each blob is uploaded in one streamed PUT. Else uploads are PATCHes of at most this many bytes, for
    /// registries behind proxies that limit request sizes.
    /// </summary>
    public long? UploadChunkSize { get; init; }

    /// <summary>
    /// A registry listed in <see cref="InsecureRegistries"/> (by host[:port], or by a CIDR holding its IP): it may be
    /// reached over plain http, and its TLS certificate is not verified (docker's meaning of insecure).
    /// </summary>
    public bool IsInsecure(string registry)
    {
        var host = HostOf(registry);
        var ip = IPAddress.TryParse(host, out var parsed) ? parsed : null;
        foreach (var entry in InsecureRegistries)
        {
            if (string.Equals(entry, registry, StringComparison.OrdinalIgnoreCase) || string.Equals(entry, host, StringComparison.OrdinalIgnoreCase)) return true;
            if (ip is not null && IPNetwork.TryParse(entry, out var network) && network.Contains(ip)) return true;
        }
        return false;
    }

    /// <summary>
    /// Whether plain http may be used when the registry does not speak https: insecure registries, and loopback
    /// addresses (<c>localhost</c>, 127.0.0.0/8, ::1), as docker and BuildKit allow. Unlike an insecure registry, a
    /// loopback registry that does speak TLS still has its certificate verified (BuildKit's rule).
    /// </summary>
    public bool AllowsPlainHttp(string registry)
    {
        var host = HostOf(registry);
        return host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip)) || IsInsecure(registry);
    }

    /// <summary><c>host</c> of <c>host[:port]</c> (keeping the brackets' content of an IPv6 literal).</summary>
    public static string HostOf(string registry)
    {
        if (registry.StartsWith('[')) return registry[1..registry.IndexOf(']')];
        var colon = registry.LastIndexOf(':');
        return colon < 0 ? registry : registry[..colon];
    }

    /// <summary>
    /// Reads the first config file of <paramref name="paths"/> that exists (none: defaults). Keys as in docker's
    /// daemon.json: <c>registry-mirrors</c>, <c>insecure-registries</c>, <c>max-concurrent-downloads</c>; and sbuild's
    /// <c>upload-chunk-size</c> (bytes).
    /// </summary>
    public static RegistryOptions Load(IEnumerable<string> paths, IReadOnlyList<string> certificateDirectories)
    {
        foreach (var path in paths)
        {
            if (!File.Exists(path)) continue;
            ConfigFile file;
            try
            {
                using var stream = File.OpenRead(path);
                file = JsonSerializer.Deserialize(stream, RegistryJsonContext.Default.ConfigFile) ?? new ConfigFile();
            }
            catch (JsonException e)
            {
                throw new SbuildException(ErrorCode.InvalidOption, $"{path}: not a valid sbuild config file: {e.Message}");
            }
            return new RegistryOptions
            {
                Mirrors = (file.RegistryMirrors ?? []).Select(m => ParseMirror(m, path)).ToList(),
                InsecureRegistries = file.InsecureRegistries ?? [],
                CertificateDirectories = certificateDirectories,
                MaxConcurrentTransfers = file.MaxConcurrentDownloads is > 0 and var n ? n : 4,
                UploadChunkSize = file.UploadChunkSize switch
                {
                    null => null,
                    > 0 and var size => size,
                    _ => throw new SbuildException(ErrorCode.InvalidOption, $"{path}: upload-chunk-size must be a positive number of bytes"),
                },
            };
        }
        return new RegistryOptions { CertificateDirectories = certificateDirectories };
    }

    /// <summary>A mirror URL as docker accepts it: http or https, a host, no query; <paramref name="source"/> names the flag or file.</summary>
    public static Uri ParseMirror(string text, string source)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0
            || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            throw new SbuildException(ErrorCode.InvalidOption, $"{source}: registry mirror \"{text}\" must be an http:// or https:// URL (e.g. https://mirror.example:5000)");
        return uri;
    }

    internal sealed record ConfigFile
    {
        [JsonPropertyName("registry-mirrors")] public List<string>? RegistryMirrors { get; init; }
        [JsonPropertyName("insecure-registries")] public List<string>? InsecureRegistries { get; init; }
        [JsonPropertyName("max-concurrent-downloads")] public int? MaxConcurrentDownloads { get; init; }
        [JsonPropertyName("upload-chunk-size")] public long? UploadChunkSize { get; init; }
    }
}
