using System.Text;

namespace Sbuild.Runner;

/// <summary>The /etc/hosts a build container sees, in BuildKit's exact layout.</summary>
public static class HostsFile
{
    public static string Render(string hostname, IReadOnlyList<HostEntry> extraHosts)
    {
        var text = new StringBuilder();
        text.Append("127.0.0.1\tlocalhost ").Append(hostname.Length == 0 ? RunSpec.DefaultHostname : hostname).Append('\n');
        text.Append("::1\tlocalhost ip6-localhost ip6-loopback\n");
        foreach (var entry in extraHosts)
            text.Append(entry.Address).Append('\t').Append(entry.Name).Append('\n');
        return text.ToString();
    }
}
