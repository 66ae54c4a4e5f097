using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>Which CONTEXT arguments are git repositories, http(s) downloads, standard input or local paths.</summary>
public sealed class BuildContextAddressTests
{
    [Theory]
    [InlineData("-", BuildContextKind.StandardInput)]
    [InlineData(".", BuildContextKind.LocalDirectory)]
    [InlineData("some/dir", BuildContextKind.LocalDirectory)]
    [InlineData("nonexistent.git", BuildContextKind.LocalDirectory)] // not a URL: reported as a missing directory
    [InlineData("https://github.com/docker/cli.git", BuildContextKind.Git)]
    [InlineData("https://github.com/docker/cli.git#v27.0.0:cmd", BuildContextKind.Git)]
    [InlineData("http://example.com/repo.git", BuildContextKind.Git)]
    [InlineData("HTTPS://EXAMPLE.COM/Repo.GIT", BuildContextKind.Git)]
    [InlineData("git://example.com/repo", BuildContextKind.Git)]
    [InlineData("git@github.com:docker/cli.git", BuildContextKind.Git)]
    [InlineData("git@github.com:docker/cli", BuildContextKind.Git)]
    [InlineData("ssh://git@example.com/repo", BuildContextKind.Git)]
    [InlineData("github.com/docker/cli", BuildContextKind.Git)]
    [InlineData("https://example.com/context.tar.gz", BuildContextKind.Url)]
    [InlineData("http://example.com/Dockerfile", BuildContextKind.Url)]
    [InlineData("https://example.com/repo.git/archive.tar", BuildContextKind.Url)]
    [InlineData("https://example.com/repo.gitx", BuildContextKind.Url)]
    [InlineData("ftp://example.com/ctx.tar", BuildContextKind.LocalDirectory)]
    public void Classifies_like_docker_build(string argument, BuildContextKind expected) =>
        Assert.Equal(expected, BuildContextAddress.Classify(argument, _ => argument is "." or "some/dir"));

    [Fact]
    public void An_existing_directory_named_like_a_git_url_is_a_directory()
    {
        using var dir = new TempDirectory("sbuild-ctx-");
        var repoLike = Directory.CreateDirectory(dir.Combine("foo.git")).FullName;
        Assert.Equal(BuildContextKind.LocalDirectory, BuildContextAddress.Classify(repoLike, Directory.Exists));
        Assert.Equal(BuildContextKind.Git, BuildContextAddress.Classify(dir.Combine("bar.git").Insert(0, "https://h"), Directory.Exists));
    }

    [Theory]
    [InlineData("https://h/r.git", "https://h/r.git", null, null)]
    [InlineData("https://h/r.git#main", "https://h/r.git", "main", null)]
    [InlineData("https://h/r.git#v1.0:docker/app", "https://h/r.git", "v1.0", "docker/app")]
    [InlineData("https://h/r.git#:sub", "https://h/r.git", null, "sub")]
    [InlineData("https://h/r.git#main:", "https://h/r.git", "main", null)]
    [InlineData("git@github.com:o/r.git#feature/x:src", "git@github.com:o/r.git", "feature/x", "src")]
    [InlineData("git://h:9418/r#0123abcd", "git://h:9418/r", "0123abcd", null)]
    [InlineData("github.com/o/r#dev", "https://github.com/o/r", "dev", null)]
    public void Fragment_is_ref_and_subdir(string text, string remote, string? reference, string? subdir) =>
        Assert.Equal(new GitContextUrl(remote, reference, subdir), GitContextUrl.Parse(text));

    [Fact]
    public void A_ref_that_looks_like_an_option_is_refused()
    {
        var error = Assert.Throws<SbuildException>(() => GitContextUrl.Parse("https://h/r.git#--upload-pack=evil"));
        Assert.Equal(ErrorCode.InvalidOption, error.Code);
    }

    [Fact]
    public void Passwords_are_not_shown()
    {
        Assert.Equal("https://me:xxxxx@h/r.git", BuildContextAddress.Redact("https://me:secret@h/r.git"));
        Assert.Equal("https://h/r.git", BuildContextAddress.Redact("https://h/r.git"));
    }
}
