namespace Sbuild.Cli;

/// <summary>What the CONTEXT argument of <c>sbuild build</c> names.</summary>
public enum BuildContextKind
{
    /// <summary><c>-</c>: a tar archive or a Dockerfile on standard input.</summary>
    StandardInput,
    /// <summary>A directory on this machine (also what an argument that is nothing else is taken for).</summary>
    LocalDirectory,
    /// <summary>A git repository to clone, with an optional <c>#REF:SUBDIR</c> fragment.</summary>
    Git,
    /// <summary>An http(s) URL that is not a git repository: a tar archive context, or a bare Dockerfile.</summary>
    Url,
}

/// <summary>
/// docker build's order for telling contexts apart (docker CLI <c>runBuild</c>): <c>-</c>, then an existing local
/// directory (so a directory named <c>foo.git</c> stays a directory), then a git URL, then any other http(s) URL.
/// </summary>
public static class BuildContextAddress
{
    public static BuildContextKind Classify(string argument, Func<string, bool> directoryExists)
    {
        if (argument == "-") return BuildContextKind.StandardInput;
        if (directoryExists(argument)) return BuildContextKind.LocalDirectory;
        if (GitContextUrl.IsGitUrl(argument)) return BuildContextKind.Git;
        if (IsHttpUrl(argument)) return BuildContextKind.Url;
        return BuildContextKind.LocalDirectory;
    }

    public static bool IsHttpUrl(string argument) =>
        argument.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || argument.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The URL without a password, for messages.</summary>
    public static string Redact(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !uri.UserInfo.Contains(':')) return url;
        return url.Replace(uri.UserInfo, uri.UserInfo[..uri.UserInfo.IndexOf(':')] + ":xxxxx", StringComparison.Ordinal);
    }
}
