using Sbuild.Core;
using Sbuild.Parser;

namespace Sbuild.Frontend;

/// <summary>
/// The build-time variables of one build: the user's --build-arg values, the automatic platform ARGs
/// (TARGETPLATFORM, BUILDARCH, …) and the predefined proxy ARGs, plus which of the user's values were consumed.
/// </summary>
public sealed class BuildArgs
{
    /// <summary>Usable in RUN without an ARG line when given with --build-arg, and kept out of history (BuildKit's predefined ARGs).</summary>
    public static readonly IReadOnlySet<string> ProxyArgs = new HashSet<string>(StringComparer.Ordinal)
    {
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
    };

    private readonly IReadOnlyDictionary<string, string> _user;
    private readonly HashSet<string> _consumed = new(StringComparer.Ordinal);

    public BuildArgs(IReadOnlyDictionary<string, string> user, string targetStage, Platform? platform = null)
    {
        _user = user;
        var p = platform ?? Platform.Host;
        var automatic = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["TARGETPLATFORM"] = p.ToString(), ["TARGETOS"] = p.Os, ["TARGETARCH"] = p.Architecture, ["TARGETVARIANT"] = p.Variant ?? "",
            ["BUILDPLATFORM"] = Platform.Host.ToString(), ["BUILDOS"] = Platform.Host.Os, ["BUILDARCH"] = Platform.Host.Architecture,
            ["BUILDVARIANT"] = Platform.Host.Variant ?? "", ["TARGETSTAGE"] = targetStage,
        };
        foreach (var (key, value) in user) automatic[key] = value;
        All = automatic;
    }

    /// <summary>Automatic values overridden by the user's: what ARG lines and FROM expansion see.</summary>
    public IReadOnlyDictionary<string, string> All { get; }

    /// <summary>The value an <c>ARG name</c> line gets when it has no default, or null.</summary>
    public string? Lookup(string name)
    {
        _consumed.Add(name);
        return All.GetValueOrDefault(name);
    }

    /// <summary>Proxy values the user gave: in every RUN's environment, never in history or cache keys.</summary>
    public IEnumerable<KeyValuePair<string, string>> Proxies => _user.Where(a => ProxyArgs.Contains(a.Key));

    /// <summary>User build-args that no ARG consumed (BuildKit warns about these).</summary>
    public IReadOnlyList<string> Unconsumed(BuildDefinition definition) =>
        _user.Keys.Where(k => !_consumed.Contains(k) && !definition.GlobalArgs.ContainsKey(k) && !ProxyArgs.Contains(k))
            .Order(StringComparer.Ordinal).ToList();
}
