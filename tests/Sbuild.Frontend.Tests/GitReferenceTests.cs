using Sbuild.Git;

namespace Sbuild.Frontend.Tests;

/// <summary>
/// Which ADD sources are git repositories and what they name: the cases of BuildKit v0.32.2's own table
/// (frontend/dockerfile/dfgitutil/git_ref_test.go, TestParseGitRef), with its expected fields.
/// </summary>
public sealed class GitReferenceTests
{
    [Theory]
    [InlineData("https://example.com/foo.git", "https://example.com/foo.git", null, null)]
    [InlineData("https://example.com/foo.git#deadbeef", "https://example.com/foo.git", "deadbeef", null)]
    [InlineData("https://example.com/foo.git#release/1.2", "https://example.com/foo.git", "release/1.2", null)]
    [InlineData("git://example.com/foo", "git://example.com/foo", null, null)]
    [InlineData("https://github.com/moby/buildkit.git", "https://github.com/moby/buildkit.git", null, null)]
    [InlineData("https://foo:bar@github.com/moby/buildkit.git", "https://foo:bar@github.com/moby/buildkit.git", null, null)]
    [InlineData("git@github.com:moby/buildkit", "git@github.com:moby/buildkit", null, null)]
    [InlineData("git@github.com:moby/buildkit.git", "git@github.com:moby/buildkit.git", null, null)]
    [InlineData("git@bitbucket.org:atlassianlabs/atlassian-docker.git", "git@bitbucket.org:atlassianlabs/atlassian-docker.git", null, null)]
    [InlineData("https://github.com/foo/bar.git#baz/qux:quux/quuz", "https://github.com/foo/bar.git", "baz/qux", "quux/quuz")]
    [InlineData("https://github.com/docker/docker.git#:myfolder", "https://github.com/docker/docker.git", null, "myfolder")]
    [InlineData("https://github.com/docker/docker.git?ref=v1.0.0&subdir=/subdir", "https://github.com/docker/docker.git", "v1.0.0", "/subdir")]
    [InlineData("https://github.com/moby/buildkit.git?subdir=/subdir#v1.0.0", "https://github.com/moby/buildkit.git", "v1.0.0", "/subdir")]
    [InlineData("https://github.com/moby/buildkit.git?tag=v1.0.0", "https://github.com/moby/buildkit.git", "refs/tags/v1.0.0", null)]
    [InlineData("https://github.com/moby/buildkit.git?branch=v1.0", "https://github.com/moby/buildkit.git", "refs/heads/v1.0", null)]
    [InlineData("git@github.com:moby/buildkit.git?subdir=/subdir#v1.0.0", "git@github.com:moby/buildkit.git", "v1.0.0", "/subdir")]
    [InlineData("https://github.com/moby/buildkit.git?mtime=commit", "https://github.com/moby/buildkit.git", null, null)]
    [InlineData("https://github.com/moby/buildkit.git?mtime=checkout", "https://github.com/moby/buildkit.git", null, null)]
    public void Git_sources_give_remote_ref_and_subdir(string text, string remote, string? reference, string? subdir)
    {
        var parsed = GitReference.Parse(text);
        Assert.NotNull(parsed);
        Assert.Equal((remote, reference, subdir), (parsed.Remote, parsed.Ref, parsed.Subdir));
    }

    [Theory]
    [InlineData("https://example.com/")]
    [InlineData("https://example.com/foo")]
    [InlineData("https://example.com/foo.git/")]
    [InlineData("https://example.com/foo.git.bar")]
    [InlineData("custom.xyz/moby/buildkit.git")]
    [InlineData("https://github.com/moby/buildkit")]
    [InlineData("http://github.com/docker/docker.git:#branch")]
    [InlineData("./.git")]
    [InlineData(".git")]
    // A git source for build contexts only (it could be a directory): ADD takes it as a local path.
    [InlineData("github.com/moby/buildkit")]
    [InlineData("github.com/moby/buildkit#master")]
    [InlineData("github.com/moby/buildkit?tag=v1.0.0")]
    public void Other_sources_are_not_git(string text) => Assert.Null(GitReference.Parse(text));

    [Theory]
    [InlineData("https://github.com/moby/buildkit.git?ref=v1.0.0#v1.2.3", "ref conflicts: \"v1.2.3\" vs \"v1.0.0\"")]
    [InlineData("https://github.com/moby/buildkit.git?ref=v1.0.0&tag=v1.2.3", "ref conflicts: \"v1.0.0\" vs \"refs/tags/v1.2.3\"")]
    [InlineData("https://github.com/moby/buildkit.git?tag=v1.0.0&branch=v1.0", "branch conflicts with tag")]
    [InlineData("https://github.com/moby/buildkit.git?mtime=invalid", "invalid mtime value: \"invalid\" (must be \"checkout\" or \"commit\")")]
    [InlineData("https://github.com/moby/buildkit.git?fetch-by-commit=invalid", "invalid fetch-by-commit value: \"invalid\"")]
    [InlineData("https://github.com/moby/buildkit.git?invalid=123", "unexpected query \"invalid\"")]
    [InlineData("https://github.com/moby/buildkit.git?ref=", "query \"ref\" has no value")]
    [InlineData("https://github.com/moby/buildkit.git?ref=a&ref=b", "query \"ref\" has multiple values")]
    public void A_git_source_with_a_bad_query_is_an_error(string text, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => GitReference.Parse(text)).Message);

    [Fact]
    public void Query_options_fill_checksum_keep_git_dir_submodules_and_fetch_by_commit()
    {
        Assert.Equal(new GitReference("https://github.com/moby/buildkit.git", "refs/heads/branch", null, "deadbeef", null, null, true),
            GitReference.Parse("https://github.com/moby/buildkit.git?fetch-by-commit=true&checksum=deadbeef#refs/heads/branch"));
        Assert.Equal(new GitReference("https://github.com/moby/buildkit.git", null, null, "deadbeef", null, null, true),
            GitReference.Parse("https://github.com/moby/buildkit.git?fetch-by-commit&checksum=deadbeef"));
        Assert.Equal(new GitReference("https://github.com/moby/buildkit.git", null, null, null, null, null, false),
            GitReference.Parse("https://github.com/moby/buildkit.git?fetch-by-commit=false"));
        // keep-git-dir and submodules without a value are true; "commit" is another name of checksum.
        Assert.Equal(new GitReference("ssh://git@h/r.git", null, null, "0a1b", true, false, false),
            GitReference.Parse("ssh://git@h/r.git?keep-git-dir&submodules=0&commit=0a1b"));
    }

    [Theory]
    [InlineData("https://user:secret@h/r.git", "https://user:xxxxx@h/r.git")]
    [InlineData("https://user@h/r.git", "https://user@h/r.git")]
    [InlineData("git@h:r.git", "git@h:r.git")]
    public void Redact_hides_a_password_as_go_does(string remote, string shown) => Assert.Equal(shown, GitReference.Redact(remote));
}
