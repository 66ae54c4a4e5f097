using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Registry.Tests;

/// <summary>
/// Registry settings with docker's daemon.json key names (dockerd reference: <c>registry-mirrors</c>,
/// <c>insecure-registries</c>, <c>max-concurrent-downloads</c>) and docker's insecure-registry rules (host[:port] or CIDR;
/// loopback registries may be reached over plain http).
/// </summary>
public sealed class RegistryOptionsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Write(string name, string json)
    {
        var path = _temp.Combine(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json);
        return path;
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("localhost:5000")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:5000")]
    [InlineData("127.5.5.5")]
    [InlineData("127.5.5.5:8080")]
    [InlineData("[::1]")]
    [InlineData("[::1]:5000")]
    public void Loopback_registries_may_use_plain_http_by_default(string registry)
    {
        Assert.True(new RegistryOptions().AllowsPlainHttp(registry));
    }

    [Theory]
    [InlineData("127.0.0.1:5000")]
    [InlineData("localhost:5000")]
    public void Loopback_registries_are_not_insecure_unless_listed(string registry)
    {
        // RegistryOptions' documented rule (BuildKit's): a loopback registry that speaks TLS still has its certificate verified.
        Assert.False(new RegistryOptions().IsInsecure(registry));
        Assert.True(new RegistryOptions { InsecureRegistries = [registry] }.IsInsecure(registry));
    }

    [Theory]
    [InlineData("docker.io")]
    [InlineData("registry-1.docker.io")]
    [InlineData("ghcr.io")]
    [InlineData("registry.example.com:443")]
    [InlineData("10.1.2.3:5000")]
    [InlineData("[2001:db8::1]:5000")]
    [InlineData("localhost.example.com")]
    [InlineData("127.0.0.1.example.com:5000")]
    public void Other_registries_are_secure_by_default(string registry)
    {
        var options = new RegistryOptions();

        Assert.False(options.IsInsecure(registry));
        Assert.False(options.AllowsPlainHttp(registry));
    }

    [Fact]
    public void A_listed_host_and_port_is_insecure_only_on_that_port()
    {
        var options = new RegistryOptions { InsecureRegistries = ["registry.internal:5000"] };

        Assert.True(options.IsInsecure("registry.internal:5000"));
        Assert.True(options.AllowsPlainHttp("registry.internal:5000"));
        Assert.False(options.IsInsecure("registry.internal:5001"));
        Assert.False(options.IsInsecure("registry.internal"));
        Assert.False(options.IsInsecure("other.internal:5000"));
    }

    [Fact]
    public void A_listed_host_name_matches_case_insensitively()
    {
        // Host names are case-insensitive (RFC 4343).
        var options = new RegistryOptions { InsecureRegistries = ["Registry.Internal:5000"] };

        Assert.True(options.IsInsecure("registry.internal:5000"));
    }

    [Theory]
    [InlineData("10.1.2.3:5000", true)]
    [InlineData("10.255.255.255", true)]
    [InlineData("10.0.0.1:443", true)]
    [InlineData("11.1.2.3:5000", false)]
    [InlineData("192.168.1.1:5000", false)]
    [InlineData("registry.example.com:5000", false)]
    public void A_cidr_makes_the_registries_at_its_addresses_insecure(string registry, bool insecure)
    {
        var options = new RegistryOptions { InsecureRegistries = ["10.0.0.0/8"] };

        Assert.Equal(insecure, options.IsInsecure(registry));
    }

    [Fact]
    public void An_ipv6_cidr_matches_a_bracketed_literal()
    {
        var options = new RegistryOptions { InsecureRegistries = ["fd00::/8"] };

        Assert.True(options.IsInsecure("[fd00::1]:5000"));
        Assert.False(options.IsInsecure("[2001:db8::1]:5000"));
    }

    [Theory]
    [InlineData("registry.example.com:5000", "registry.example.com")]
    [InlineData("registry.example.com", "registry.example.com")]
    [InlineData("127.0.0.1:5000", "127.0.0.1")]
    [InlineData("[::1]:5000", "::1")]
    [InlineData("[fd00::1]", "fd00::1")]
    public void HostOf_drops_the_port_and_ipv6_brackets(string registry, string host)
    {
        Assert.Equal(host, RegistryOptions.HostOf(registry));
    }

    [Fact]
    public void No_config_file_gives_the_defaults()
    {
        var options = RegistryOptions.Load([_temp.Combine("missing.json"), _temp.Combine("also", "missing.json")], ["/etc/sbuild/certs.d"]);

        Assert.Empty(options.Mirrors);
        Assert.Empty(options.InsecureRegistries);
        Assert.Equal(["/etc/sbuild/certs.d"], options.CertificateDirectories);
        Assert.Equal(new RegistryOptions().MaxConcurrentTransfers, options.MaxConcurrentTransfers);
        Assert.Null(options.UploadChunkSize);
    }

    [Fact]
    public void The_keys_of_daemon_json_are_read()
    {
        var path = Write("config.json", """
            {
              "registry-mirrors": ["https://mirror.example.com", "http://10.0.0.5:5000"],
              "insecure-registries": ["registry.internal:5000", "10.0.0.0/8"],
              "max-concurrent-downloads": 7,
              "upload-chunk-size": 5242880,
              "debug": true,
              "log-driver": "json-file"
            }
            """);

        var options = RegistryOptions.Load([path], ["/certs"]);

        Assert.Equal([new Uri("https://mirror.example.com"), new Uri("http://10.0.0.5:5000")], options.Mirrors);
        Assert.Equal(["registry.internal:5000", "10.0.0.0/8"], options.InsecureRegistries);
        Assert.Equal(7, options.MaxConcurrentTransfers);
        Assert.Equal(5242880, options.UploadChunkSize);
        Assert.Equal(["/certs"], options.CertificateDirectories);
        Assert.True(options.IsInsecure("10.1.2.3:5000"));
    }

    [Fact]
    public void The_first_existing_file_wins()
    {
        var first = Write(Path.Combine("user", "config.json"), """{"insecure-registries": ["first.example:5000"]}""");
        var second = Write(Path.Combine("system", "config.json"), """{"insecure-registries": ["second.example:5000"], "max-concurrent-downloads": 9}""");

        var options = RegistryOptions.Load([_temp.Combine("none.json"), first, second], []);

        Assert.Equal(["first.example:5000"], options.InsecureRegistries);
        // Files are not merged: the second file's setting is not used either.
        Assert.Equal(new RegistryOptions().MaxConcurrentTransfers, options.MaxConcurrentTransfers);
    }

    [Fact]
    public void An_empty_object_gives_the_defaults()
    {
        var options = RegistryOptions.Load([Write("config.json", "{}")], []);

        Assert.Empty(options.Mirrors);
        Assert.Empty(options.InsecureRegistries);
        Assert.Null(options.UploadChunkSize);
        Assert.Equal(new RegistryOptions().MaxConcurrentTransfers, options.MaxConcurrentTransfers);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("""{"registry-mirrors": "https://mirror.example.com"}""")]
    [InlineData("""{"max-concurrent-downloads": "three"}""")]
    [InlineData("[]")]
    public void A_malformed_file_is_refused_naming_its_path(string json)
    {
        var path = Write("config.json", json);

        var error = Assert.Throws<SbuildException>(() => RegistryOptions.Load([path], []));

        Assert.Equal(ErrorCode.InvalidOption, error.Code);
        Assert.Contains(path, error.Message);
    }

    [Theory]
    [InlineData("ftp://mirror.example.com")]
    [InlineData("https://")]
    [InlineData("mirror.example.com")]
    [InlineData("https://mirror.example.com/?token=x")]
    [InlineData("https://mirror.example.com/#frag")]
    public void A_bad_mirror_url_is_refused(string mirror)
    {
        var path = Write("config.json", $$"""{"registry-mirrors": ["{{mirror}}"]}""");

        var error = Assert.Throws<SbuildException>(() => RegistryOptions.Load([path], []));

        Assert.Equal(ErrorCode.InvalidOption, error.Code);
        Assert.Contains(path, error.Message);
        Assert.Contains(mirror, error.Message);
    }

    [Theory]
    [InlineData("https://mirror.example.com")]
    [InlineData("http://mirror.example.com:5000")]
    [InlineData("https://10.0.0.5")]
    public void Good_mirror_urls_are_accepted(string mirror)
    {
        Assert.Equal(new Uri(mirror), RegistryOptions.ParseMirror(mirror, "--registry-mirror"));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    public void A_chunk_size_that_is_not_positive_is_refused(long size)
    {
        var path = Write("config.json", $$"""{"upload-chunk-size": {{size}}}""");

        var error = Assert.Throws<SbuildException>(() => RegistryOptions.Load([path], []));

        Assert.Equal(ErrorCode.InvalidOption, error.Code);
        Assert.Contains(path, error.Message);
        Assert.Contains("upload-chunk-size", error.Message);
    }
}
