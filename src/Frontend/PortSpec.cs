using Sbuild.Core;
using Sbuild.Parser;

namespace Sbuild.Frontend;

/// <summary>EXPOSE values as Docker reads them: <c>80</c>, <c>80/udp</c>, ranges <c>8000-8002/tcp</c>; each becomes <c>PORT/PROTO</c>.</summary>
public static class PortSpec
{
    public static IEnumerable<string> Expand(string spec, Instruction at)
    {
        var slash = spec.IndexOf('/');
        var ports = slash < 0 ? spec : spec[..slash];
        var proto = slash < 0 ? "tcp" : spec[(slash + 1)..].ToLowerInvariant();
        if (proto is not ("tcp" or "udp" or "sctp"))
            throw Invalid(spec, at, $"invalid proto: {proto}");
        var dash = ports.IndexOf('-');
        var first = Port(dash < 0 ? ports : ports[..dash], spec, at);
        var last = dash < 0 ? first : Port(ports[(dash + 1)..], spec, at);
        if (last < first) throw Invalid(spec, at, $"invalid range specified for port: {spec}");
        for (var p = first; p <= last; p++) yield return $"{p}/{proto}";
    }

    private static int Port(string text, string spec, Instruction at) =>
        int.TryParse(text, out var port) && port is >= 0 and <= 65535 ? port : throw Invalid(spec, at, $"invalid port: {spec}");

    private static DockerfileException Invalid(string spec, Instruction at, string message) =>
        new(ErrorCode.DockerfileSyntax, at.Location, $"EXPOSE {spec}: {message}", at.Original);
}

/// <summary>Signal names and numbers that STOPSIGNAL accepts (Linux), as Docker's signal.ParseSignal does.</summary>
public static class Signals
{
    private static readonly HashSet<string> Names =
    [
        "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL", "PIPE", "POLL",
        "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1",
        "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "UNUSED",
    ];

    public static bool IsValid(string signal)
    {
        if (int.TryParse(signal, out var number)) return number is > 0 and <= 64;
        var name = signal.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal)) name = name[3..];
        if (Names.Contains(name)) return true;
        // Real-time signals: RTMIN, RTMIN+n, RTMAX-n.
        return name is "RTMIN" or "RTMAX"
            || (name.StartsWith("RTMIN+", StringComparison.Ordinal) && int.TryParse(name[6..], out var up) && up is > 0 and <= 15)
            || (name.StartsWith("RTMAX-", StringComparison.Ordinal) && int.TryParse(name[6..], out var down) && down is > 0 and <= 14);
    }
}
