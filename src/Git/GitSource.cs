using System.Text.RegularExpressions;
using Sbuild.Core;

namespace Sbuild.Git;

/// <summary>
/// What ADD asks of a repository: BuildKit's git source identifier as the Dockerfile frontend fills it. <see cref="Ref"/>
/// null is the remote's default branch; <see cref="Checksum"/> is a commit hash or a prefix of one the ref must
/// resolve to; <see cref="Subdir"/> (relative, cleaned) makes its contents the checkout's root.
/// </summary>
public sealed record GitCheckoutRequest(string Remote, string? Ref, string? Subdir, bool KeepGitDir, string? Checksum, bool SkipSubmodules, bool FetchByCommit)
{
    /// <summary>The remote (without password) and ref, for messages.</summary>
    public string Shown => GitReference.Redact(Remote) + (Ref is null ? "" : "#" + Ref);
}

/// <summary>
/// Where a request's ref pointed when it was resolved (before any fetch): <see cref="Ref"/> is the ref the fetch names
/// (the request's, the default branch's name, or for fetch-by-commit the full branch name), <see cref="Commit"/> the
/// object it points at (an annotated tag's own hash). A checkout gives exactly this revision, or fails.
/// </summary>
public sealed record GitRevision(string Ref, string Commit);

/// <summary>
/// BuildKit's git source (source/git/source.go), git command for git command, so a checkout holds what BuildKit's
/// holds (with <c>--keep-git-dir</c>, its <c>.git</c> too): the ref is resolved with <c>git ls-remote</c>, fetched
/// shallow into a private bare repository (a commit with its history), checked out into the target (with submodules,
/// shallow), the subdirectory's contents moved up. Files keep the time of the checkout, as BuildKit's do unless a
/// build asks for commit times (the Dockerfile frontend never does).
/// </summary>
public static partial class GitSource
{
    private static readonly GitProgram Git = new(UserConfig: false, ErrorCode.CopySourceNotFound);

    /// <summary>
    /// The revision <paramref name="request"/> names now (BuildKit's resolveMetadata): a commit hash as it is, else
    /// what the remote's refs say, preferring a branch over a tag of the same name. A checksum is checked here (against
    /// an annotated tag's hash or its commit's).
    /// </summary>
    public static async Task<GitRevision> ResolveAsync(GitCheckoutRequest request, string workDir, CancellationToken ct)
    {
        if (request.Ref?.StartsWith('-') == true) throw Failed(request, $"invalid git ref \"{request.Ref}\"");
        if (request.Checksum is { } checksum && !HexDigits().IsMatch(checksum))
            throw Failed(request, $"invalid checksum {checksum} for Git URL, expected hex commit hash");
        if (GitReference.IsCommitHash(request.Ref))
        {
            if (request.Checksum is { } expected && !request.Ref!.StartsWith(expected, StringComparison.Ordinal))
                throw Mismatch(request, expected, request.Ref!);
            return new GitRevision(request.Ref!, request.Ref!);
        }
        if (request.FetchByCommit) return ByCommit(request);

        var reference = request.Ref ?? await DefaultBranchAsync(request, workDir, ct).ConfigureAwait(false);
        var listed = await Git.RunAsync(workDir, ["ls-remote", "--", request.Remote, reference, reference + "^{}"], ct).ConfigureAwait(false);
        if (!listed.Succeeded) throw Failed(request, $"cannot list the refs of the repository: {listed.Diagnostics}");

        var partialRef = "refs/" + TrimPrefix(reference, "refs/");
        var headRef = "refs/heads/" + TrimPrefix(reference, "refs/heads/");
        var tagRef = "refs/tags/" + TrimPrefix(reference, "refs/tags/");
        string? sha = null, headSha = null, tagSha = null, peeledTagSha = null;
        foreach (var line in listed.StandardOutput.Split('\n'))
        {
            var tab = line.IndexOf('\t');
            if (tab < 0) continue;
            var (lineSha, lineRef) = (line[..tab], line[(tab + 1)..]);
            if (lineRef == headRef) headSha = lineSha;
            else if (lineRef == tagRef) tagSha = lineSha;
            else if (lineRef == tagRef + "^{}") peeledTagSha = lineSha;
            else if (lineRef == partialRef) sha = lineSha;
        }
        sha ??= headSha; // git checkout prefers a branch to a tag of the same name
        if (sha is not null) peeledTagSha = null;
        sha ??= tagSha;
        if (sha is null) throw Failed(request, $"the repository has no branch, tag or commit \"{reference}\"");
        if (!GitReference.IsCommitHash(sha)) throw Failed(request, $"invalid commit sha \"{sha}\"");
        if (request.Checksum is { } wanted && !sha.StartsWith(wanted, StringComparison.Ordinal)
            && !(peeledTagSha?.StartsWith(wanted, StringComparison.Ordinal) ?? false))
            throw Mismatch(request, wanted, sha + (peeledTagSha is null ? "" : " or " + peeledTagSha));
        return new GitRevision(reference, sha);
    }

    /// <summary>
    /// Checks <paramref name="revision"/> out into <paramref name="target"/> (an empty directory), working in a private
    /// directory under <paramref name="scratch"/> that is gone afterwards.
    /// </summary>
    public static async Task CheckoutAsync(GitCheckoutRequest request, GitRevision revision, string target, string scratch, CancellationToken ct)
    {
        var work = Directory.CreateDirectory(Path.Combine(scratch, "git-" + Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            var bare = Directory.CreateDirectory(Path.Combine(work, "repo.git")).FullName;
            await FetchAsync(request, revision, bare, ct).ConfigureAwait(false);
            await CheckoutTreeAsync(request, revision, bare, target, ct).ConfigureAwait(false);
        }
        finally
        {
            TreeRemover.Delete(work);
        }
    }

    /// <summary>fetch-by-commit trusts the checksum as the commit: no ls-remote, a branch name made full.</summary>
    private static GitRevision ByCommit(GitCheckoutRequest request)
    {
        if (request.Checksum is not { } checksum) throw Failed(request, "fetch-by-commit requires a checksum or a commit SHA ref");
        if (!GitReference.IsCommitHash(checksum)) throw Failed(request, $"fetch-by-commit requires a full commit SHA checksum, got \"{checksum}\"");
        var reference = request.Ref is null ? checksum : request.Ref.StartsWith("refs/", StringComparison.Ordinal) ? request.Ref : "refs/heads/" + request.Ref;
        return new GitRevision(reference, checksum);
    }

    private static async Task<string> DefaultBranchAsync(GitCheckoutRequest request, string workDir, CancellationToken ct)
    {
        var listed = await Git.RunAsync(workDir, ["ls-remote", "--symref", request.Remote, "HEAD"], ct).ConfigureAwait(false);
        if (!listed.Succeeded) throw Failed(request, $"cannot find the default branch: {listed.Diagnostics}");
        var branch = DefaultBranch().Match(listed.StandardOutput);
        if (!branch.Success) throw Failed(request, "cannot find the default branch: the remote names none");
        if (branch.Groups[1].Value.StartsWith('-')) throw Failed(request, $"invalid git ref \"{branch.Groups[1].Value}\"");
        return branch.Groups[1].Value;
    }

    /// <summary>
    /// BuildKit's tryRemoteFetch and remoteFetch: the ref shallow into refs/tags/REF of the bare repository (a commit
    /// hash with all tags and history), then the check that it is the resolved revision — a ref that moved since is
    /// set back to that commit when it can be fetched — and that it matches the checksum.
    /// </summary>
    private static async Task FetchAsync(GitCheckoutRequest request, GitRevision revision, string bare, CancellationToken ct)
    {
        await RequireAsync(request, bare, ["-c", "init.defaultBranch=master", "init", "--bare", .. ObjectFormat(revision)], "cannot create a repository", ct).ConfigureAwait(false);
        await RequireAsync(request, bare, ["remote", "add", "origin", request.Remote], "cannot add the remote", ct).ConfigureAwait(false);

        var reference = revision.Ref;
        var fetchRef = request.FetchByCommit ? revision.Commit : reference;
        var targetRef = reference.StartsWith("refs/tags/", StringComparison.Ordinal) ? reference : "tags/" + reference;
        List<string> args = ["fetch"];
        args.AddRange(request.FetchByCommit || !GitReference.IsCommitHash(fetchRef) ? ["--depth=1", "--no-tags"] : ["--tags"]);
        args.Add("origin");
        args.AddRange(GitReference.IsCommitHash(reference) ? [reference] : ["--force", "--", $"{fetchRef}:{targetRef}"]);
        var fetched = await Git.RunAsync(bare, args, ct).ConfigureAwait(false);
        if (!fetched.Succeeded && GitReference.IsCommitHash(args[^1])
            && (fetched.StandardError.Contains("not our ref", StringComparison.Ordinal) || fetched.StandardError.Contains("unadvertised object", StringComparison.Ordinal)))
            fetched = await Git.RunAsync(bare, args[..^1], ct).ConfigureAwait(false); // the server hands out no commit by hash: everything
        if (!fetched.Succeeded) throw Failed(request, $"cannot fetch {Describe(request, reference)}: {fetched.Diagnostics}");

        var fetchedCommit = await RequireAsync(request, bare, ["rev-parse", fetchRef], $"cannot read {fetchRef}", ct).ConfigureAwait(false);
        if (fetchedCommit.Trim() != revision.Commit)
        {
            var updateRef = targetRef.StartsWith("refs/", StringComparison.Ordinal) ? targetRef : "refs/" + targetRef;
            if (!(await Git.RunAsync(bare, ["cat-file", "-e", revision.Commit], ct).ConfigureAwait(false)).Succeeded)
            {
                List<string> again = ["fetch", "--tags", .. File.Exists(Path.Combine(bare, "shallow")) ? ["--unshallow"] : Array.Empty<string>(), "origin", revision.Commit];
                await RequireAsync(request, bare, again, $"cannot fetch {revision.Commit}", ct).ConfigureAwait(false);
                if (!(await Git.RunAsync(bare, ["cat-file", "-e", revision.Commit], ct).ConfigureAwait(false)).Succeeded)
                    throw Failed(request, $"fetched ref {reference} does not match expected commit {revision.Commit} and commit can not be found in the repository");
            }
            await RequireAsync(request, bare, ["update-ref", updateRef, revision.Commit, "--no-deref"], "cannot update a ref", ct).ConfigureAwait(false);
        }

        if (request.Checksum is { } checksum)
        {
            var actual = (await RequireAsync(request, bare, ["rev-parse", fetchRef], $"cannot read {fetchRef}", ct).ConfigureAwait(false)).Trim();
            if (!actual.StartsWith(checksum, StringComparison.Ordinal))
            {
                var peeled = await Git.RunAsync(bare, ["rev-parse", fetchRef + "^{}"], ct).ConfigureAwait(false);
                var commit = peeled.StandardOutput.Trim();
                if (!peeled.Succeeded || commit == actual) throw Mismatch(request, checksum, actual);
                if (!commit.StartsWith(checksum, StringComparison.Ordinal)) throw Mismatch(request, checksum, $"{actual} or {commit}");
            }
        }
    }

    /// <summary>
    /// BuildKit's checkout: with <c>.git</c> kept (and no subdirectory) a new repository in the target fetches the
    /// revision from the bare one over file:// (never a local clone's hard links) and checks it out detached, its origin
    /// set to the remote and its reflogs emptied; otherwise the bare repository's tree is written into the target (or a
    /// temporary directory in it when only a subdirectory is wanted). Submodules follow, shallow.
    /// </summary>
    private static async Task CheckoutTreeAsync(GitCheckoutRequest request, GitRevision revision, string bare, string target, CancellationToken ct)
    {
        var reference = revision.Ref;
        var refOrCommit = request.FetchByCommit ? revision.Commit : reference;
        var subdir = RootPath.Clean(request.Subdir ?? "").TrimStart('/');
        var worktree = target;
        string gitDir;
        if (request.KeepGitDir && subdir.Length == 0)
        {
            gitDir = Path.Combine(target, ".git");
            string[] repo = ["--work-tree", target, "--git-dir", gitDir];
            await RequireAsync(request, target, [.. repo, "-c", "init.defaultBranch=master", "init", .. ObjectFormat(revision)], "cannot create .git", ct).ConfigureAwait(false);
            await RequireAsync(request, target, [.. repo, "remote", "add", "origin", "file://" + bare], "cannot add the fetched repository", ct).ConfigureAwait(false);
            var type = await RequireAsync(request, bare, ["cat-file", "-t", refOrCommit], $"cannot read {refOrCommit}", ct).ConfigureAwait(false);
            string pullRef;
            if (type.Trim() == "tag")
                pullRef = $"{reference}:{(reference.StartsWith("refs/tags/", StringComparison.Ordinal) ? reference : "refs/tags/" + reference)}";
            else if (request.FetchByCommit && reference != refOrCommit)
                pullRef = $"{refOrCommit}:{reference}";
            else if (GitReference.IsCommitHash(reference))
            {
                // A commit has no name to fetch by: a temporary ref in the bare repository gives it one.
                pullRef = "refs/buildkit/" + Guid.NewGuid().ToString("N");
                await RequireAsync(request, bare, ["update-ref", pullRef, reference], "cannot name the commit", ct).ConfigureAwait(false);
            }
            else pullRef = $"{reference}:{reference}";
            // The bare repository is this process's own: file:// is allowed for this one fetch.
            await RequireAsync(request, target, ["-c", "protocol.file.allow=always", .. repo, "fetch", "-u", "--depth=1", "--", "origin", pullRef],
                $"cannot fetch {pullRef} into .git", ct).ConfigureAwait(false);
            await RequireAsync(request, target, [.. repo, "checkout", "FETCH_HEAD"], "cannot check out", ct).ConfigureAwait(false);
            await RequireAsync(request, target, [.. repo, "remote", "set-url", "origin", GitReference.Redact(request.Remote)], "cannot set the origin", ct).ConfigureAwait(false);
            await RequireAsync(request, target, [.. repo, "reflog", "expire", "--all", "--expire=now"], "cannot expire the reflog", ct).ConfigureAwait(false);
            File.Delete(Path.Combine(gitDir, "FETCH_HEAD"));
        }
        else
        {
            gitDir = bare;
            if (subdir.Length > 0) worktree = Directory.CreateDirectory(Path.Combine(target, "checkout" + Guid.NewGuid().ToString("N"))).FullName;
            await RequireAsync(request, worktree, ["--work-tree", worktree, "--git-dir", bare, "checkout", "--no-overlay", refOrCommit, "--", "."],
                "cannot check out", ct).ConfigureAwait(false);
        }

        if (!request.SkipSubmodules)
            await RequireAsync(request, worktree, ["--work-tree", worktree, "--git-dir", gitDir, "submodule", "update", "--init", "--recursive", "--depth=1"],
                "cannot update submodules", ct).ConfigureAwait(false);

        if (subdir.Length > 0)
        {
            MoveUp(request, revision, worktree, subdir, target);
            TreeRemover.Delete(worktree);
        }
    }

    /// <summary>The subdirectory's entries become the target's; every part of its path must be a directory (no symlink).</summary>
    private static void MoveUp(GitCheckoutRequest request, GitRevision revision, string worktree, string subdir, string target)
    {
        var path = worktree;
        foreach (var part in subdir.Split('/'))
        {
            path = Path.Combine(path, part);
            if (!Posix.TryLStat(path, out var st))
                throw Failed(request, $"subdirectory \"{subdir}\" does not exist in {Describe(request, revision.Ref)}");
            if (st.Type != Posix.FileStat.Directory)
                throw Failed(request, $"subdirectory \"{subdir}\" is not a directory in {Describe(request, revision.Ref)}: {Path.GetRelativePath(worktree, path)} is not");
        }
        foreach (var entry in Directory.EnumerateFileSystemEntries(path))
            Posix.Rename(entry, Path.Combine(target, Path.GetFileName(entry)));
    }

    private static string[] ObjectFormat(GitRevision revision) => revision.Commit.Length == 64 ? ["--object-format=sha256"] : [];

    private static async Task<string> RequireAsync(GitCheckoutRequest request, string dir, IReadOnlyList<string> args, string what, CancellationToken ct)
    {
        var result = await Git.RunAsync(dir, args, ct).ConfigureAwait(false);
        if (!result.Succeeded) throw Failed(request, $"{what}: {result.Diagnostics}");
        return result.StandardOutput;
    }

    private static string Describe(GitCheckoutRequest request, string reference) => request.Ref is null ? $"the default branch {reference}" : reference;

    private static string TrimPrefix(string text, string prefix) => text.StartsWith(prefix, StringComparison.Ordinal) ? text[prefix.Length..] : text;

    private static SbuildException Failed(GitCheckoutRequest request, string message) =>
        new(ErrorCode.CopySourceNotFound, $"git source {request.Shown}: {message}");

    private static SbuildException Mismatch(GitCheckoutRequest request, string checksum, string actual) =>
        new(ErrorCode.DigestMismatch, $"git source {request.Shown}: checksum mismatch: expected the commit {checksum}, the ref points at {actual}");

    [GeneratedRegex("^[a-fA-F0-9]+$")]
    private static partial Regex HexDigits();

    [GeneratedRegex(@"refs/heads/(\S+)")]
    private static partial Regex DefaultBranch();
}
