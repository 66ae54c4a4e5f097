using System.Net;
using System.Text;

namespace Sbuild.Runner;

/// <summary>The /etc/resolv.conf a build container sees, derived from the host's as docker does:
/// loopback name servers are useless outside the host's network namespace, so they are dropped,
/// and when no name server is left the public defaults are used.</summary>
public static class ResolvConf
{
    public static IReadOnlyList<string> DefaultNameservers { get; } =
        ["8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844"];

    public static string ForContainer(string hostContent, NetworkMode network)
    {
        var lines = hostContent.TrimEnd('\n').Split('\n', StringSplitOptions.None);
        if (network == NetworkMode.Host && lines.Any(line => Nameserver(line) is not null))
            return hostContent;

        var kept = new StringBuilder();
        foreach (var line in hostContent.Length == 0 ? [] : lines)
        {
            if (Nameserver(line) is { } address && IsLoopback(address))
                continue;
            kept.Append(line).Append('\n');
        }
        if (!kept.ToString().Split('\n').Any(line => Nameserver(line) is not null))
        {
            foreach (var address in DefaultNameservers)
                kept.Append("nameserver ").Append(address).Append('\n');
        }
        return kept.ToString();
    }

    /// <summary>The address of a "nameserver ADDR" line, else null.</summary>
    private static string? Nameserver(string line)
    {
        var fields = line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2 && fields[0] == "nameserver" ? fields[1] : null;
    }

    private static bool IsLoopback(string address) =>
        IPAddress.TryParse(address, out var ip) && IPAddress.IsLoopback(ip);
}
