using System.Text.RegularExpressions;
using Sbuild.Core;
using Sbuild.Git;

namespace Sbuild.Cli;

/// <summary>
/// Checks a git context out into a scratch directory as docker does: <c>git init</c>, <c>git fetch --depth=1 origin
/// REF</c>, check out <c>FETCH_HEAD</c>, update submodules recursively. A server that refuses shallow fetches (dumb
/// http) gets a full fetch (<see cref="GitProgram"/> retries without <c>--depth</c>); a commit a server will not hand
/// out by name gets every branch and tag fetched and is then checked out by its (possibly abbreviated) hash. <c>.git</c>
/// is removed, so it is never in the context. git reads the user's configuration (credential helpers, ssh settings).
/// </summary>
public static partial class GitContextFetcher
{
    private static readonly GitProgram Git = new(UserConfig: true, ErrorCode.ContextNotFound);

    /// <summary>Clones into <paramref name="checkoutDir"/> (created) and returns the context directory (SUBDIR, or the checkout).</summary>
    public static async Task<string> FetchAsync(GitContextUrl url, string checkoutDir, CancellationToken ct)
    {
        Directory.CreateDirectory(checkoutDir);
        await RequireAsync(url, checkoutDir, ["init", "-q"], "git init", ct).ConfigureAwait(false);
        await RequireAsync(url, checkoutDir, ["remote", "add", "origin", url.Remote], "git remote add", ct).ConfigureAwait(false);

        var reference = url.Ref ?? "HEAD"; // the remote's default branch, as BuildKit takes it
        var revision = await FetchRevisionAsync(url, reference, checkoutDir, ct).ConfigureAwait(false);
        var checkout = await Git.RunAsync(checkoutDir, ["-c", "advice.detachedHead=false", "checkout", "-q", "--detach", revision], ct).ConfigureAwait(false);
        if (!checkout.Succeeded)
            throw Failed(url, $"cannot check out {Describe(reference)}: {checkout.Diagnostics}");

        if (File.Exists(Path.Combine(checkoutDir, ".gitmodules")))
            await RequireAsync(url, checkoutDir, ["submodule", "update", "--init", "--recursive", "--depth=1"], "cannot update submodules", ct).ConfigureAwait(false);
        RemoveGitMetadata(checkoutDir);

        if (url.Subdir is null) return checkoutDir;
        var contextDir = RootPath.Resolve(checkoutDir, url.Subdir, followFinal: true);
        if (!Directory.Exists(contextDir))
            throw Failed(url, $"subdirectory \"{url.Subdir}\" is not a directory in {Describe(reference)}");
        return contextDir;
    }

    /// <summary>Fetches <paramref name="reference"/> and says what to check out: FETCH_HEAD, or the commit hash itself.</summary>
    private static async Task<string> FetchRevisionAsync(GitContextUrl url, string reference, string dir, CancellationToken ct)
    {
        var fetched = await Git.RunAsync(dir, ["fetch", "-q", "--depth=1", "--recurse-submodules=no", "origin", "--", reference], ct).ConfigureAwait(false);
        if (fetched.Succeeded) return "FETCH_HEAD";
        if (!CommitHash().IsMatch(reference))
            throw Failed(url, $"cannot fetch {Describe(reference)}: {fetched.Diagnostics}");

        // Servers hand out only advertised refs by name unless configured otherwise: fetch them all, find the commit.
        var everything = await Git.RunAsync(dir,
            ["fetch", "-q", "--recurse-submodules=no", "origin", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"], ct).ConfigureAwait(false);
        if (!everything.Succeeded)
            throw Failed(url, $"cannot fetch {reference}: {everything.Diagnostics}");
        var commit = await Git.RunAsync(dir, ["rev-parse", "--verify", "-q", reference + "^{commit}"], ct).ConfigureAwait(false);
        if (!commit.Succeeded)
            throw Failed(url, $"cannot fetch {reference}: no such branch, tag or commit");
        return commit.StandardOutput.Trim();
    }

    private static async Task RequireAsync(GitContextUrl url, string dir, string[] args, string what, CancellationToken ct)
    {
        var result = await Git.RunAsync(dir, args, ct).ConfigureAwait(false);
        if (!result.Succeeded) throw Failed(url, $"{what}: {result.Diagnostics}");
    }

    /// <summary>Deletes every <c>.git</c> (the repository's, and the <c>.git</c> files of submodules) without following symlinks.</summary>
    private static void RemoveGitMetadata(string dir)
    {
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            if (entry.LinkTarget is not null) continue;
            if (entry.Name == ".git")
            {
                if (entry is DirectoryInfo gitDir) TreeRemover.Delete(gitDir.FullName);
                else entry.Delete();
            }
            else if (entry is DirectoryInfo sub) RemoveGitMetadata(sub.FullName);
        }
    }

    private static string Describe(string reference) => reference == "HEAD" ? "the default branch" : reference;

    private static SbuildException Failed(GitContextUrl url, string message) =>
        new(ErrorCode.ContextNotFound, $"git context {url.Shown}: {message}");

    [GeneratedRegex("^[0-9a-fA-F]{4,64}$")]
    private static partial Regex CommitHash();
}
