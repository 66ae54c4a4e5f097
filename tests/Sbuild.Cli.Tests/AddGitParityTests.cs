using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// ADD of git repositories checked against the reference BuildKit: both builders fetch from the same servers on
/// 127.0.0.1 (BuildKit's daemon runs on the host network) and the images are compared in full.
/// </summary>
[Collection(OracleCollection.Name)]
public sealed class AddGitParityTests(SbuildCli sbuild, GitRepositoryServers git) : IClassFixture<SbuildCli>, IClassFixture<GitRepositoryServers>
{
    private readonly BuildKitParity _parity = new(sbuild);

    [Fact]
    public async Task Add_of_a_git_repository_checks_out_like_buildkit()
    {
        var commit = await ParityRepositoryAsync("parity-plain.git");
        var smart = git.SmartHttpUrl("parity-plain.git");
        var differences = await _parity.CompareAsync($"""
            FROM busybox
            ADD {smart} /plain
            ADD {smart}#main:dir /sub/
            ADD --chown=7:8 {git.GitUrl("parity-plain.git")}#{commit} /owned
            ADD --checksum={commit[..12]} {smart}?branch=main /pinned
            ADD {git.SmartHttpUrl("repo.git")}#v1-annotated /tag
            ADD {smart}?fetch-by-commit&commit={commit}&branch=main /by-commit
            ADD --chmod=750 {smart} /moded
            """);
        // moby/buildkit#5943: the destination directory the step makes gets --chmod's mode in BuildKit; sbuild makes it 0755.
        BuildKitParity.AssertSame(differences, "/moded: mode 0750 (buildkit) vs 0755 (sbuild)");
    }

    [Fact]
    public async Task Add_keep_git_dir_keeps_the_dot_git_buildkit_keeps()
    {
        var commit = await ParityRepositoryAsync("parity-kept.git");
        var smart = git.SmartHttpUrl("parity-kept.git");
        // BuildKit reuses one checkout for every source with the same commit, ref and options, whatever the remote or
        // the way of fetching, so whose .git /kept gets would depend on which ran first (docs/parity.md): the
        // fetch-by-commit source (whose .git names its refs differently) checks out another commit.
        var pinned = await ParityRepositoryAsync("parity-by-commit.git");
        var differences = await _parity.CompareAsync($"""
            FROM busybox
            ADD --keep-git-dir=true {smart} /kept
            ADD --keep-git-dir=true {smart}#{commit} /commit
            ADD --keep-git-dir=true {git.SmartHttpUrl("repo.git")}#v1-annotated /tag
            ADD {smart}?keep-git-dir=true&subdir=dir /sub
            ADD --keep-git-dir=true {git.SmartHttpUrl("parity-by-commit.git")}?fetch-by-commit&commit={pinned}&branch=main /by-commit
            """);
        BuildKitParity.AssertSame(Except(differences, "/kept/.git/index", "/commit/.git/index", "/tag/.git/index", "/by-commit/.git/index"));
    }

    [Fact]
    public async Task Add_checks_out_submodules_like_buildkit()
    {
        var repo = git.GitUrl("repo.git");
        var differences = await _parity.CompareAsync($"""
            FROM busybox
            ADD {repo}#main /full
            ADD --keep-git-dir=true {repo}#main /kept
            """);
        BuildKitParity.AssertSame(Except(differences, "/full/lib/.git", "/kept/.git/index", "/kept/.git/modules/lib/index",
            "/kept/.git/modules/lib/logs/HEAD", "/kept/.git/modules/lib/logs/refs/heads/main", "/kept/.git/modules/lib/logs/refs/remotes/origin/HEAD"));
    }

    /// <summary>
    /// The differences no builder can avoid (docs/parity.md): the content of files git writes about this checkout
    /// itself. <c>.git/index</c> records each file's inode, device and times; a submodule's reflog records when it was
    /// cloned; a submodule checked out without <c>.git</c> keeps the file git wrote to point at its repository, a path
    /// into the builder's own storage (BuildKit's snapshot of its bare repository, sbuild's scratch directory).
    /// </summary>
    private static string[] Except(IReadOnlyList<string> differences, params string[] contentOf) =>
        differences.Where(d => !contentOf.Any(path =>
            d.StartsWith(path + ": sha256 ", StringComparison.Ordinal) || d.StartsWith(path + ": size ", StringComparison.Ordinal))).ToArray();

    /// <summary>
    /// A served repository (one commit on main, its own) with what a checkout must carry over: an executable, a
    /// symlink, nested directories. Returns the commit.
    /// </summary>
    private Task<string> ParityRepositoryAsync(string name) => git.CommitToMainAsync(name, work =>
    {
        GitRepositoryServers.Write(work, "a.txt", name + "\n");
        GitRepositoryServers.Write(work, "bin/tool.sh", "#!/bin/sh\necho tool\n");
        File.SetUnixFileMode(Path.Combine(work, "bin/tool.sh"), Modes.Octal("755"));
        File.CreateSymbolicLink(Path.Combine(work, "link"), "a.txt");
        GitRepositoryServers.Write(work, "dir/top.txt", "top\n");
        GitRepositoryServers.Write(work, "dir/nested/deep.txt", "deep\n");
    });
}
