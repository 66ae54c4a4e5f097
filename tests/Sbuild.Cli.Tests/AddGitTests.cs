using System.Text.RegularExpressions;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// <c>ADD</c> of git repositories served on 127.0.0.1 (git's smart HTTP through <c>git http-backend</c>, and git://):
/// what the image holds is read back from its OCI export, unpacked by umoci.
/// </summary>
public sealed class AddGitTests(SbuildCli sbuild, GitRepositoryServers git) : IClassFixture<SbuildCli>, IClassFixture<GitRepositoryServers>
{
    [Fact]
    public async Task Add_checks_out_a_branch_a_tag_a_commit_or_a_subdirectory_without_dot_git()
    {
        var repo = git.SmartHttpUrl("repo.git");
        using var image = await BuildAsync($"""
            FROM scratch
            ADD {repo} /default
            ADD {repo}#feature /feature
            ADD {repo}#v1-annotated /tag
            ADD {repo}#{git.V1Commit} /commit
            ADD {repo}#main:sub /sub/
            ADD --chown=7:8 --chmod=640 {git.GitUrl("repo.git")}#v1 /owned
            """);
        var root = image.RootfsDir;
        Assert.Equal("main\n", Read(root, "default/a.txt"));
        Assert.Equal("in sub\n", Read(root, "default/sub/b.txt"));
        Assert.Equal("from the submodule\n", Read(root, "default/lib/l.txt")); // submodules are checked out
        Assert.False(Directory.Exists(Path.Combine(root, "default/.git")) || File.Exists(Path.Combine(root, "default/.git")));
        // As in BuildKit, a submodule keeps the file git writes to point at its repository (which is not there).
        Assert.StartsWith("gitdir: ", Read(root, "default/lib/.git"));

        Assert.Equal("feature\n", Read(root, "feature/a.txt"));
        Assert.Equal("v1\n", Read(root, "tag/a.txt"));
        Assert.False(Directory.Exists(Path.Combine(root, "tag/sub")));
        Assert.Equal("v1\n", Read(root, "commit/a.txt"));
        Assert.Equal(["b.txt", "build"], Directory.EnumerateFileSystemEntries(Path.Combine(root, "sub")).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal).ToArray());

        // Owners are root's unless --chown; modes those of the checkout (umask 022) unless --chmod, directories included.
        var plain = UnixFs.LStat(Path.Combine(root, "default/a.txt"));
        Assert.Equal((0u, 0u, Modes.Octal("644")), (plain.Uid, plain.Gid, (UnixFileMode)plain.Permissions));
        Assert.Equal(Modes.Octal("755"), (UnixFileMode)UnixFs.LStat(Path.Combine(root, "default/sub")).Permissions);
        var owned = UnixFs.LStat(Path.Combine(root, "owned/a.txt"));
        Assert.Equal((7u, 8u, Modes.Octal("640")), (owned.Uid, owned.Gid, (UnixFileMode)owned.Permissions));
    }

    [Fact]
    public async Task Keep_git_dir_keeps_the_repository_and_git_reads_it_in_a_run()
    {
        var repo = git.SmartHttpUrl("repo.git");
        using var context = new TempDirectory("sbuild-add-git-");
        await CopyHostGitAsync(context.Combine("hostgit"));
        File.WriteAllText(context.Combine("Dockerfile"), $"""
            FROM busybox
            COPY hostgit /hostgit
            ADD --keep-git-dir=true {repo}#main /src
            RUN cd /src && G="/hostgit/ld.so --library-path /hostgit /hostgit/git" \
             && $G log --format='%H %s' > /log.txt && $G remote get-url origin > /origin.txt \
             && $G status --porcelain --ignore-submodules=all > /status.txt && $G -C lib log --format=%s > /lib-log.txt
            """);
        var archive = context.Combine("image.tar");
        await sbuild.RunAsync(["build", "-t", "add-git:keep", "-o", $"type=oci,dest={archive}", context.Path]);
        using var image = await OciImage.ReadArchiveAsync(archive, CancellationToken.None);
        var root = image.RootfsDir;
        Assert.True(File.Exists(Path.Combine(root, "src/.git/HEAD")));
        // A shallow clone of the one commit, clean, its origin the remote.
        Assert.Equal($"{git.MainCommit} main\n", Read(root, "log.txt"));
        Assert.Equal("", Read(root, "status.txt"));
        Assert.Equal(repo + "\n", Read(root, "origin.txt"));
        // The submodule's repository is in .git too (git status would run a git of its own there, which the image lacks).
        Assert.Equal("lib\n", Read(root, "lib-log.txt"));
    }

    [Fact]
    public async Task Checksum_is_the_commit_in_full_or_a_prefix_and_a_mismatch_fails_at_the_line()
    {
        var repo = git.SmartHttpUrl("repo.git");
        // An annotated tag's checksum may be the commit it points at.
        using (var image = await BuildAsync($"""
                   FROM scratch
                   ADD --checksum={git.MainCommit} {repo}#main /full
                   ADD --checksum={git.V1Commit[..10]} {repo}#v1-annotated /prefix
                   """))
        {
            Assert.Equal("main\n", Read(image.RootfsDir, "full/a.txt"));
            Assert.Equal("v1\n", Read(image.RootfsDir, "prefix/a.txt"));
        }

        var error = await FailingBuildAsync($"FROM scratch\nADD --checksum=0123456789 {repo}#main /x\n");
        Assert.Contains("CTX/Dockerfile:2:", error);
        Assert.Contains($"error[SB4002]", error);
        Assert.Contains($"checksum mismatch: expected the commit 0123456789, the ref points at {git.MainCommit}", error);
    }

    [Fact]
    public async Task Unknown_ref_missing_subdir_unreachable_server_and_bad_query_fail_at_the_line()
    {
        var repo = git.SmartHttpUrl("repo.git");
        var unknown = await FailingBuildAsync($"FROM scratch\nADD {repo}#no-such-branch /x\n");
        Assert.Contains("CTX/Dockerfile:2:", unknown);
        Assert.Contains($"git source {repo}#no-such-branch: the repository has no branch, tag or commit \"no-such-branch\"", unknown);

        var subdir = await FailingBuildAsync($"FROM scratch\nADD {repo}#main:nowhere /x\n");
        Assert.Contains("subdirectory \"nowhere\" does not exist in main", subdir);

        var closed = $"http://127.0.0.1:{TestHttpServer.FreePort()}/repo.git";
        var unreachable = await FailingBuildAsync($"FROM scratch\nRUN true\nADD {closed} /x\n");
        Assert.Contains("CTX/Dockerfile:3:", unreachable);
        Assert.Contains($"git source {closed}: cannot find the default branch: fatal: unable to access", unreachable);

        var query = await FailingBuildAsync($"FROM scratch\nADD {repo}?depth=1 /x\n");
        Assert.Contains("CTX/Dockerfile:2:", query);
        Assert.Contains("unexpected query \"depth\"", query);
    }

    [Fact]
    public async Task A_rebuild_fetches_a_moved_branch_again_and_reuses_an_unmoved_one()
    {
        await git.CommitToMainAsync("moving.git", work => GitRepositoryServers.Write(work, "v.txt", "one\n"));
        var dockerfile = $"FROM scratch\nADD {git.SmartHttpUrl("moving.git")}#main /m\n";
        using (var first = await BuildAsync(dockerfile, noCache: false))
            Assert.Equal("one\n", Read(first.RootfsDir, "m/v.txt"));

        var unchanged = await BuildProgressAsync(dockerfile);
        Assert.Matches(@"(?m)^#\d+ \[2/2\] ADD .*moving\.git#main /m\n#\d+ CACHED$", unchanged);

        await git.CommitToMainAsync("moving.git", work => GitRepositoryServers.Write(work, "v.txt", "two\n"));
        using var moved = await BuildAsync(dockerfile, noCache: false);
        Assert.Equal("two\n", Read(moved.RootfsDir, "m/v.txt"));
    }

    private async Task<OciImage> BuildAsync(string dockerfile, bool noCache = true)
    {
        using var context = new TempDirectory("sbuild-add-git-");
        File.WriteAllText(context.Combine("Dockerfile"), dockerfile);
        var archive = context.Combine("image.tar");
        await sbuild.RunAsync(["build", .. noCache ? ["--no-cache"] : Array.Empty<string>(), "-t", "add-git:1", "-o", $"type=oci,dest={archive}", context.Path]);
        return await OciImage.ReadArchiveAsync(archive, CancellationToken.None);
    }

    private async Task<string> BuildProgressAsync(string dockerfile)
    {
        using var context = new TempDirectory("sbuild-add-git-");
        File.WriteAllText(context.Combine("Dockerfile"), dockerfile);
        return (await sbuild.RunAsync(["build", "--progress", "plain", context.Path])).StandardError;
    }

    /// <summary>A build that must fail with one clear error and no stack trace; its stderr with the context as CTX.</summary>
    private async Task<string> FailingBuildAsync(string dockerfile)
    {
        using var context = new TempDirectory("sbuild-add-git-");
        File.WriteAllText(context.Combine("Dockerfile"), dockerfile);
        var result = await sbuild.RunAsync(["build", context.Path], allowFailure: true);
        Assert.NotEqual(0, result.ExitCode);
        Assert.DoesNotContain("   at ", result.StandardError);
        return result.StandardError.Replace(context.Path, "CTX");
    }

    /// <summary>
    /// This machine's git with the libraries it loads (ldd), for a RUN in busybox: run as <c>DIR/ld.so --library-path
    /// DIR DIR/git</c>, so nothing of the image's own /lib is touched.
    /// </summary>
    private static async Task CopyHostGitAsync(string dir)
    {
        var gitPath = Tools.Require("git", "apt-get install git");
        Directory.CreateDirectory(dir);
        var ldd = await ProcessRunner.RunAsync(Tools.Require("ldd", "apt-get install libc-bin"), [gitPath], CancellationToken.None);
        foreach (Match library in Regex.Matches(ldd.StandardOutput, @"^\s*(?:\S+ => )?(/\S+) \(", RegexOptions.Multiline))
        {
            var path = library.Groups[1].Value;
            File.Copy(path, Path.Combine(dir, Path.GetFileName(path).StartsWith("ld-linux", StringComparison.Ordinal) ? "ld.so" : Path.GetFileName(path)));
        }
        File.Copy(gitPath, Path.Combine(dir, "git"));
    }

    private static string Read(string root, string path) => File.ReadAllText(Path.Combine(root, path));
}
