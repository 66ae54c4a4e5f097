using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// <c>sbuild build URL</c> against real git servers (git daemon, dumb http) and an http server on 127.0.0.1: what the
/// context held is read back from the built image's layer.
/// </summary>
public sealed class RemoteContextTests(SbuildCli sbuild, GitRepositoryServers git) : IClassFixture<SbuildCli>, IClassFixture<GitRepositoryServers>
{
    [Fact]
    public async Task Git_url_without_a_ref_builds_the_default_branch_with_submodules_and_without_dot_git()
    {
        await sbuild.RunAsync(["-t", "git:default", git.GitUrl("repo.git")], epoch: 0);
        var files = await ListTopLayer("git:default");
        Assert.Contains("ctx/a.txt", files);
        Assert.Contains("ctx/sub/b.txt", files);
        Assert.Contains("ctx/lib/l.txt", files); // the submodule, checked out
        Assert.Contains("ctx/.gitmodules", files);
        Assert.DoesNotContain(files, f => f.Split('/').Contains(".git"));
        Assert.Equal("main\n", await ReadFromTopLayer("git:default", "ctx/a.txt"));
        Assert.Equal("from the submodule\n", await ReadFromTopLayer("git:default", "ctx/lib/l.txt"));
        AssertNoScratchLeft();
    }

    [Fact]
    public async Task Git_url_fragment_picks_a_branch_a_tag_or_a_commit()
    {
        await sbuild.RunAsync(["-t", "git:feature", git.GitUrl("repo.git") + "#feature"], epoch: 0);
        Assert.Equal("feature\n", await ReadFromTopLayer("git:feature", "ctx/a.txt"));

        await sbuild.RunAsync(["-t", "git:tag", git.GitUrl("repo.git") + "#v1"], epoch: 0);
        Assert.Equal("v1\n", await ReadFromTopLayer("git:tag", "ctx/a.txt"));
        Assert.DoesNotContain("ctx/sub/b.txt", await ListTopLayer("git:tag"));

        await sbuild.RunAsync(["-t", "git:commit", git.GitUrl("repo.git") + "#" + git.V1Commit], epoch: 0);
        Assert.Equal("v1\n", await ReadFromTopLayer("git:commit", "ctx/a.txt"));
        AssertNoScratchLeft();
    }

    [Fact]
    public async Task Git_url_subdir_is_the_context_and_dockerfile_path_is_relative_to_it()
    {
        await sbuild.RunAsync(["-t", "git:sub", "-f", "build/Dockerfile.sub", git.GitUrl("repo.git") + "#main:sub"], epoch: 0);
        var files = await ListTopLayer("git:sub");
        Assert.Contains("sub/b.txt", files);
        Assert.Contains("sub/build/Dockerfile.sub", files);
        Assert.DoesNotContain(files, f => f.Contains("a.txt"));
        Assert.Equal("in sub\n", await ReadFromTopLayer("git:sub", "sub/b.txt"));
    }

    [Fact]
    public async Task Dumb_http_git_server_gets_a_full_fetch_of_a_branch_and_of_an_abbreviated_commit()
    {
        var url = git.HttpUrl("repo.git");
        Assert.EndsWith(".git", url);
        await sbuild.RunAsync(["-t", "http:feature", url + "#feature"], epoch: 0);
        Assert.Equal("feature\n", await ReadFromTopLayer("http:feature", "ctx/a.txt"));

        await sbuild.RunAsync(["-t", "http:commit", url + "#" + git.V1Commit[..12]], epoch: 0);
        Assert.Equal("v1\n", await ReadFromTopLayer("http:commit", "ctx/a.txt"));
        AssertNoScratchLeft();
    }

    [Fact]
    public async Task Missing_ref_subdir_dockerfile_or_server_fail_with_the_url_and_leave_no_scratch()
    {
        var repo = git.GitUrl("repo.git");
        var missingRef = await sbuild.RunAsync([repo + "#no-such-branch"], allowFailure: true);
        Assert.NotEqual(0, missingRef.ExitCode);
        Assert.Contains($"error[SB2004]: git context {repo}: cannot fetch no-such-branch", missingRef.StandardError);
        Assert.DoesNotContain("   at ", missingRef.StandardError);

        var missingCommit = await sbuild.RunAsync([repo + "#0123456789abcdef0123456789abcdef01234567"], allowFailure: true);
        Assert.Contains("no such branch, tag or commit", missingCommit.StandardError);

        var missingSubdir = await sbuild.RunAsync([repo + "#main:nowhere"], allowFailure: true);
        Assert.Contains("subdirectory \"nowhere\" is not a directory", missingSubdir.StandardError);

        var missingDockerfile = await sbuild.RunAsync(["-f", "nope/Dockerfile", repo], allowFailure: true);
        Assert.Contains($"git context {repo}: no Dockerfile \"nope/Dockerfile\"", missingDockerfile.StandardError);

        var closed = $"git://127.0.0.1:{TestHttpServer.FreePort()}/repo.git";
        var unreachable = await sbuild.RunAsync([closed], allowFailure: true);
        Assert.NotEqual(0, unreachable.ExitCode);
        Assert.Contains($"git context {closed}: cannot fetch the default branch", unreachable.StandardError);

        foreach (var failed in new[] { missingRef, missingCommit, missingSubdir, missingDockerfile })
            Assert.NotEqual(0, failed.ExitCode);
        AssertNoScratchLeft();
    }

    [Fact]
    public async Task Tarball_url_is_the_context_and_dockerfile_path_is_relative_to_its_root()
    {
        var url = git.ServeFile("/ctx.tar.gz", TarGz(
            ("Dockerfile", "FROM scratch\nCOPY c.txt /wrong.txt\n"),
            ("docker/Dockerfile.real", "FROM scratch\nCOPY c.txt /c.txt\n"),
            ("c.txt", "from the tarball\n")));
        await sbuild.RunAsync(["-t", "tarball:1", "-f", "docker/Dockerfile.real", url], epoch: 0);
        Assert.Equal("from the tarball\n", await ReadFromTopLayer("tarball:1", "c.txt"));
        AssertNoScratchLeft();
    }

    [Fact]
    public async Task Url_of_a_plain_dockerfile_builds_it_with_an_empty_context()
    {
        var url = git.ServeFile("/plain/Dockerfile", "FROM busybox\nENV FROM_URL=1\n"u8.ToArray());
        var built = await sbuild.RunAsync(["-t", "plain:1", url], epoch: 0);
        Assert.Contains("FROM_URL=1", sbuild.Store.ReadConfig(Digest.Parse(built.StandardOutput.Trim())).Config.Env!);

        // The context is empty: a COPY of anything fails.
        var copying = git.ServeFile("/plain/copying", "FROM busybox\nCOPY a.txt /a.txt\n"u8.ToArray());
        var failed = await sbuild.RunAsync([copying], allowFailure: true);
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("a.txt", failed.StandardError);
        AssertNoScratchLeft();
    }

    [Fact]
    public async Task Url_answering_404_fails_naming_the_url_and_the_status()
    {
        var url = git.UnservedUrl("/missing.tar.gz");
        var failed = await sbuild.RunAsync([url], allowFailure: true);
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains($"error[SB2004]: build context: cannot download {url}: ", failed.StandardError);
        Assert.Contains("404", failed.StandardError);
        Assert.DoesNotContain("   at ", failed.StandardError);
        AssertNoScratchLeft();
    }

    private static byte[] TarGz(params (string Name, string Text)[] files)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            foreach (var (name, text) in files)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)), Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead });
        }
        return buffer.ToArray();
    }

    private string TopLayerOf(string tag)
    {
        var image = sbuild.Store.Find(ImageReference.Parse(tag))!;
        return sbuild.Store.Content.PathOf(sbuild.Store.ReadManifest(image.Manifest.Digest).Layers[^1].Digest);
    }

    private async Task<List<string>> ListTopLayer(string tag) =>
        (await ProcessRunner.RunAsync(Tools.Tar, ["-tzf", TopLayerOf(tag)], CancellationToken.None)).StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('/')).ToList();

    private async Task<string> ReadFromTopLayer(string tag, string path) =>
        (await ProcessRunner.RunAsync(Tools.Tar, ["-xzOf", TopLayerOf(tag), path], CancellationToken.None)).StandardOutput;

    private void AssertNoScratchLeft()
    {
        var tmp = Path.Combine(sbuild.StoreRoot, "tmp");
        if (Directory.Exists(tmp)) Assert.Empty(Directory.EnumerateDirectories(tmp, "remote-*"));
    }
}
