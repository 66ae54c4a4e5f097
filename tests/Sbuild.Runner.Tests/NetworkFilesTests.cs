namespace Sbuild.Runner.Tests;

public class HostsFileTests
{
    [Fact]
    public void Maps_localhost_and_the_hostname_like_buildkit_then_the_extra_hosts()
    {
        var text = HostsFile.Render("builder", [new HostEntry("db", "10.0.0.5"), new HostEntry("cache", "fd00::1")]);

        Assert.Equal(
            "127.0.0.1\tlocalhost builder\n::1\tlocalhost ip6-localhost ip6-loopback\n10.0.0.5\tdb\nfd00::1\tcache\n",
            text);
    }

    [Fact]
    public void An_empty_hostname_falls_back_to_buildkitsandbox()
    {
        Assert.StartsWith("127.0.0.1\tlocalhost buildkitsandbox\n", HostsFile.Render("", []));
    }
}

public class ResolvConfTests
{
    [Fact]
    public void Loopback_name_servers_are_dropped_outside_the_host_network()
    {
        const string host = "search example.com\nnameserver 127.0.0.53\nnameserver 10.1.2.3\nnameserver ::1\noptions ndots:2\n";

        Assert.Equal(
            "search example.com\nnameserver 10.1.2.3\noptions ndots:2\n",
            ResolvConf.ForContainer(host, NetworkMode.None));
    }

    [Fact]
    public void Public_defaults_replace_a_resolver_that_only_listened_on_loopback()
    {
        var text = ResolvConf.ForContainer("nameserver 127.0.0.53\noptions edns0\n", NetworkMode.None);

        Assert.Equal(
            "options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\nnameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n",
            text);
    }

    [Fact]
    public void The_host_network_keeps_the_hosts_file_as_it_is_even_a_loopback_resolver()
    {
        const string host = "nameserver 127.0.0.53\nsearch lan\n";

        Assert.Equal(host, ResolvConf.ForContainer(host, NetworkMode.Host));
    }

    [Fact]
    public void A_missing_host_file_gives_the_defaults()
    {
        Assert.StartsWith("nameserver 8.8.8.8\n", ResolvConf.ForContainer("", NetworkMode.Host));
    }
}
