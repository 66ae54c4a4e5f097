using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Sbuild.Core;

namespace Sbuild.Git;

/// <summary>
/// A git source as a Dockerfile names it, BuildKit's dfgitutil.GitRef: <see cref="Remote"/> is what git fetches (the
/// URL without fragment and query), <see cref="Ref"/> a branch, tag or commit (null: the remote's default branch),
/// <see cref="Subdir"/> a directory of the repository (null: its root). The query form (<c>?ref=…&amp;subdir=…</c>,
/// <c>tag</c>, <c>branch</c>, <c>checksum</c>/<c>commit</c>, <c>keep-git-dir</c>, <c>submodules</c>,
/// <c>fetch-by-commit</c>) fills the same fields; null booleans were not given.
/// </summary>
public sealed partial record GitReference(string Remote, string? Ref, string? Subdir, string? Checksum, bool? KeepGitDir, bool? Submodules, bool FetchByCommit)
{
    /// <summary>
    /// BuildKit's ParseGitRef as ADD applies it: <c>git://…</c>, <c>ssh://…</c>, <c>git@host:path</c> (scp style) and
    /// <c>http(s)://…</c> whose path ends in <c>.git</c> are git sources; anything else (a relative path, another
    /// scheme, an http URL of a file, <c>github.com/…</c> which could be a local path) is not, and gives null. A git
    /// source whose query is wrong throws <see cref="FormatException"/> with BuildKit's message.
    /// </summary>
    public static GitReference? Parse(string text)
    {
        if (text.StartsWith("./", StringComparison.Ordinal) || text.StartsWith("../", StringComparison.Ordinal)) return null;
        if (text.StartsWith("github.com/", StringComparison.Ordinal))
        {
            // Deprecated: a git source only for build contexts, a local path for ADD; a bad query is still an error.
            var (_, query, fragment) = SplitOptions(text);
            var (fragmentRef, fragmentSubdir) = FragmentOptions(fragment);
            if (query is not null) Options(QueryValues(query), fragmentRef, fragmentSubdir);
            return null;
        }
        if (ParseUrl(text) is not { } url) return null;
        var (reference, subdir) = FragmentOptions(url.Fragment);
        return url.Query is null ? new GitReference(url.Remote, reference, subdir, null, null, null, false) : Options(QueryValues(url.Query), reference, subdir) with { Remote = url.Remote };
    }

    /// <summary>BuildKit's gitutil.IsCommitSHA: a full sha1 or sha256 commit hash in lower case.</summary>
    public static bool IsCommitHash(string? text) =>
        text is { Length: 40 or 64 } && text.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    /// <summary>The remote without a password (Go's URL.Redacted, as BuildKit prints remotes).</summary>
    public static string Redact(string remote)
    {
        var scheme = remote.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return remote;
        var authorityEnd = remote.IndexOf('/', scheme + 3);
        var authority = authorityEnd < 0 ? remote[(scheme + 3)..] : remote[(scheme + 3)..authorityEnd];
        var at = authority.LastIndexOf('@');
        var colon = at < 0 ? -1 : authority.IndexOf(':');
        if (colon < 0 || colon > at) return remote;
        return remote[..(scheme + 3)] + authority[..colon] + ":xxxxx" + remote[(scheme + 3 + at)..];
    }

    private sealed record ParsedUrl(string Remote, string? Query, string Fragment);

    private static readonly string[] Schemes = ["http", "https", "ssh", "git"];

    /// <summary>gitutil.ParseURL: a URL of a git transport, or an scp-style address; null when it is neither.</summary>
    private static ParsedUrl? ParseUrl(string text)
    {
        if (Scheme().Match(text) is { Success: true } proto)
        {
            var scheme = proto.Groups[1].Value.ToLowerInvariant();
            if (!Schemes.Contains(scheme)) return null;
            var (rest, query, fragment) = SplitOptions(text);
            var afterScheme = rest[(proto.Length)..];
            var slash = afterScheme.IndexOf('/');
            var authority = slash < 0 ? afterScheme : afterScheme[..slash];
            var rawPath = slash < 0 ? "" : afterScheme[slash..];
            if (!ValidAuthority(authority) || !TryUnescape(rawPath, out var path) || !TryUnescape(fragment, out var unescapedFragment)) return null;
            // An http(s) URL is a git source only when its path ends in .git (else it is a file to download).
            if (scheme is "http" or "https" && !path.EndsWith(".git", StringComparison.Ordinal)) return null;
            return new ParsedUrl(scheme + "://" + authority + rawPath, query, unescapedFragment);
        }
        if (ScpStyle().Match(text) is { Success: true } scp)
        {
            var query = scp.Groups[4].Success ? scp.Groups[4].Value : null;
            // Go's url.ParseQuery rejects a bad escape or ';' anywhere, and the address is then no git source.
            if (query is not null && query.Split('&').Any(pair => pair.Contains(';') || !TryUnescape(pair.Replace('+', ' '), out _))) return null;
            return new ParsedUrl($"{scp.Groups[1].Value}@{scp.Groups[2].Value}:{scp.Groups[3].Value}", query is { Length: > 0 } ? query : null,
                scp.Groups[5].Success ? scp.Groups[5].Value : "");
        }
        return null;
    }

    /// <summary>Go's url.Parse order: the fragment is cut at the first '#', then the query at the first '?'.</summary>
    private static (string Address, string? Query, string Fragment) SplitOptions(string text)
    {
        var hash = text.IndexOf('#');
        var fragment = hash < 0 ? "" : text[(hash + 1)..];
        var rest = hash < 0 ? text : text[..hash];
        var question = rest.IndexOf('?');
        return question < 0 ? (rest, null, fragment) : (rest[..question], rest[(question + 1)..], fragment);
    }

    /// <summary>gitutil's parseOpts: <c>REF[:SUBDIR]</c>, the subdirectory cleaned and relative.</summary>
    private static (string? Ref, string? Subdir) FragmentOptions(string fragment)
    {
        if (fragment.Length == 0) return (null, null);
        var colon = fragment.IndexOf(':');
        var reference = colon < 0 ? fragment : fragment[..colon];
        var subdir = colon < 0 ? "" : RootPath.Clean(fragment[(colon + 1)..]).TrimStart('/');
        return (reference.Length == 0 ? null : reference, subdir.Length == 0 ? null : subdir);
    }

    /// <summary>Go's url.Values of a query: pairs split at '&amp;', '+' is a space; pairs Go cannot parse are dropped.</summary>
    private static List<(string Key, List<string> Values)> QueryValues(string query)
    {
        var values = new List<(string Key, List<string> Values)>();
        foreach (var pair in query.Split('&'))
        {
            if (pair.Length == 0 || pair.Contains(';')) continue;
            var eq = pair.IndexOf('=');
            if (!TryUnescape((eq < 0 ? pair : pair[..eq]).Replace('+', ' '), out var key)
                || !TryUnescape((eq < 0 ? "" : pair[(eq + 1)..]).Replace('+', ' '), out var value)) continue;
            var index = values.FindIndex(v => v.Key == key);
            if (index < 0) values.Add((key, [value]));
            else values[index].Values.Add(value);
        }
        return values;
    }

    /// <summary>dfgitutil's loadQuery: the query's options over the fragment's ref and subdir (which must agree).</summary>
    private static GitReference Options(List<(string Key, List<string> Values)> query, string? reference, string? subdir)
    {
        string? tag = null, branch = null, checksum = null;
        bool? keepGitDir = null, submodules = null;
        var fetchByCommit = false;
        foreach (var (key, values) in query)
        {
            if (values.Count > 1) throw new FormatException($"query \"{key}\" has multiple values");
            var value = values[0];
            if (value.Length == 0 && key is not ("submodules" or "keep-git-dir" or "fetch-by-commit"))
                throw new FormatException($"query \"{key}\" has no value");
            switch (key)
            {
                case "ref":
                    if (reference is not null && reference != value) throw new FormatException($"ref conflicts: \"{reference}\" vs \"{value}\"");
                    reference = value;
                    break;
                case "tag": tag = value; break;
                case "branch": branch = value; break;
                case "subdir":
                    if (subdir is not null && subdir != value) throw new FormatException($"subdir conflicts: \"{subdir}\" vs \"{value}\"");
                    subdir = value;
                    break;
                case "checksum" or "commit": checksum = value; break;
                case "keep-git-dir": keepGitDir = Flag(key, value); break;
                case "submodules": submodules = Flag(key, value); break;
                case "fetch-by-commit": fetchByCommit = Flag(key, value); break;
                case "mtime":
                    // Accepted and checked, but the Dockerfile frontend (1.26) does not pass it on: ADD keeps checkout times.
                    if (value is not ("checkout" or "commit")) throw new FormatException($"invalid mtime value: \"{value}\" (must be \"checkout\" or \"commit\")");
                    break;
                default: throw new FormatException($"unexpected query \"{key}\"");
            }
        }
        if (tag is not null)
        {
            tag = tag.StartsWith("refs/tags/", StringComparison.Ordinal) ? tag : "refs/tags/" + tag;
            if (reference is not null && reference != tag) throw new FormatException($"ref conflicts: \"{reference}\" vs \"{tag}\"");
            reference = tag;
        }
        if (branch is not null)
        {
            if (tag is not null) throw new FormatException("branch conflicts with tag");
            branch = branch.StartsWith("refs/heads/", StringComparison.Ordinal) ? branch : "refs/heads/" + branch;
            if (reference is not null && reference != branch) throw new FormatException($"ref conflicts: \"{reference}\" vs \"{branch}\"");
            reference = branch;
        }
        return new GitReference("", reference, subdir, checksum, keepGitDir, submodules, fetchByCommit);
    }

    /// <summary>A boolean option: present without a value is true, else Go's strconv.ParseBool.</summary>
    private static bool Flag(string key, string value) => value switch
    {
        "" or "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
        "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
        _ => throw new FormatException($"invalid {key} value: \"{value}\""),
    };

    /// <summary>Go's url.Parse checks of the host part: a port, when there is one, is digits.</summary>
    private static bool ValidAuthority(string authority)
    {
        var host = authority[(authority.LastIndexOf('@') + 1)..];
        if (host.StartsWith('[')) return host.IndexOf(']') is var close and > 0 && (close == host.Length - 1 || host[close + 1] == ':' && host[(close + 2)..].All(char.IsAsciiDigit));
        var colon = host.LastIndexOf(':');
        return colon < 0 || host[(colon + 1)..].All(char.IsAsciiDigit);
    }

    /// <summary>Percent-decoding that fails, as Go's does, on a '%' without two hex digits.</summary>
    private static bool TryUnescape(string text, out string result)
    {
        result = text;
        if (!text.Contains('%')) return true;
        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '%')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
                continue;
            }
            if (i + 2 >= text.Length || !byte.TryParse(text.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b)) return false;
            bytes.Add(b);
            i += 2;
        }
        result = Encoding.UTF8.GetString([.. bytes]);
        return true;
    }

    [GeneratedRegex("^([a-zA-Z0-9]+)://")]
    private static partial Regex Scheme();

    // sshutil's scp-style address: USER@HOST:PATH[?QUERY][#FRAGMENT].
    [GeneratedRegex(@"^([a-zA-Z0-9_-]+)@([a-zA-Z0-9.-]+):(.*?)(?:\?(.*?))?(?:#(.*))?$")]
    private static partial Regex ScpStyle();
}
