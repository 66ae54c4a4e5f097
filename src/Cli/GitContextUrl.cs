using Sbuild.Core;

namespace Sbuild.Cli;

/// <summary>
/// A git build context as docker writes it: <c>REMOTE[#REF[:SUBDIR]]</c>. REMOTE is what <c>git fetch</c> gets; REF
/// is a branch, tag or commit (null: the remote's default branch, as BuildKit does); SUBDIR is the context directory
/// inside the repository (null: its root).
/// </summary>
public sealed record GitContextUrl(string Remote, string? Ref, string? Subdir)
{
    private static readonly string[] GitPrefixes = ["git://", "git@", "ssh://", "github.com/"];

    /// <summary>
    /// docker's IsGitURL, plus <c>ssh://</c> as BuildKit has it: <c>git://</c>, <c>git@host:path</c>, <c>ssh://</c> and
    /// <c>github.com/…</c> always; <c>http(s)://</c> when the path (before any fragment) ends in <c>.git</c>.
    /// </summary>
    public static bool IsGitUrl(string text)
    {
        if (GitPrefixes.Any(p => text.StartsWith(p, StringComparison.OrdinalIgnoreCase))) return true;
        if (!BuildContextAddress.IsHttpUrl(text)) return false;
        var withoutFragment = text.Split('#', 2)[0];
        return withoutFragment.EndsWith(".git", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Splits the fragment off (docker's parseRemoteURL); <c>github.com/…</c> becomes an https URL.</summary>
    public static GitContextUrl Parse(string text)
    {
        var hash = text.IndexOf('#');
        var remote = hash < 0 ? text : text[..hash];
        var fragment = hash < 0 ? "" : text[(hash + 1)..];
        if (remote.StartsWith("github.com/", StringComparison.OrdinalIgnoreCase)) remote = "https://" + remote;
        var colon = fragment.IndexOf(':');
        var reference = colon < 0 ? fragment : fragment[..colon];
        var subdir = colon < 0 ? "" : fragment[(colon + 1)..];
        if (reference.StartsWith('-'))
            throw new SbuildException(ErrorCode.InvalidOption, $"git context {BuildContextAddress.Redact(text)}: invalid ref \"{reference}\"");
        return new GitContextUrl(remote, reference.Length == 0 ? null : reference, subdir.Trim('/').Length == 0 ? null : subdir);
    }

    /// <summary>The remote without a password, for messages.</summary>
    public string Shown => BuildContextAddress.Redact(Remote);
}
