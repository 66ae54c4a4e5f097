using Sbuild.Core;

namespace Sbuild.Core.Tests;

public class ImageReferenceTests
{
    private static readonly string Hex = new('a', 64);

    [Theory]
    // bare names get Docker's default tag
    [InlineData("busybox", "busybox", "latest", null, "busybox:latest")]
    [InlineData("busybox:1.36", "busybox", "1.36", null, "busybox:1.36")]
    // Docker Hub's long forms collapse to the short form Docker shows
    [InlineData("docker.io/library/alpine", "alpine", "latest", null, "alpine:latest")]
    [InlineData("docker.io/library/alpine:3", "alpine", "3", null, "alpine:3")]
    [InlineData("docker.io/team/app:v2", "team/app", "v2", null, "team/app:v2")]
    // a registry host with port; the port's colon is not a tag
    [InlineData("host:5000/a/b:tag", "host:5000/a/b", "tag", null, "host:5000/a/b:tag")]
    [InlineData("127.0.0.1:5000/app", "127.0.0.1:5000/app", "latest", null, "127.0.0.1:5000/app:latest")]
    [InlineData("registry.example.com/team/app", "registry.example.com/team/app", "latest", null, "registry.example.com/team/app:latest")]
    [InlineData("my_app-x.y", "my_app-x.y", "latest", null, "my_app-x.y:latest")]
    [InlineData("a__b", "a__b", "latest", null, "a__b:latest")]
    [InlineData("app:Tag_1.0-rc", "app", "Tag_1.0-rc", null, "app:Tag_1.0-rc")]
    public void Parses_names_and_tags(string text, string repository, string tag, string? digest, string key)
    {
        var r = ImageReference.Parse(text);
        Assert.Equal(repository, r.Repository);
        Assert.Equal(tag, r.Tag);
        Assert.Equal(digest, r.Digest?.ToString());
        Assert.Equal(key, r.ToString());
    }

    [Fact]
    public void A_digest_without_tag_has_no_default_tag()
    {
        var r = ImageReference.Parse($"busybox@sha256:{Hex}");
        Assert.Equal("busybox", r.Repository);
        Assert.Null(r.Tag);
        Assert.Equal(Digest.Parse($"sha256:{Hex}"), r.Digest);
        Assert.Equal($"busybox@sha256:{Hex}", r.ToString());
    }

    [Fact]
    public void Tag_and_digest_together_are_both_kept()
    {
        var r = ImageReference.Parse($"host:5000/app:1@sha256:{Hex}");
        Assert.Equal("host:5000/app", r.Repository);
        Assert.Equal("1", r.Tag);
        Assert.Equal($"host:5000/app:1@sha256:{Hex}", r.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("Busybox")] // upper case in the repository
    [InlineData("team/App")]
    [InlineData("app:")] // empty tag
    [InlineData("app::1")]
    [InlineData("app:1:2")]
    [InlineData("-app")]
    [InlineData("app-")]
    [InlineData("app..x")]
    [InlineData("/app")]
    [InlineData("app/")]
    [InlineData("app name")]
    [InlineData("app:.tag")] // tags cannot start with '.'
    [InlineData("app@sha256:abc")] // short digest
    [InlineData("app@md5:0123456789abcdef0123456789abcdef")]
    public void Invalid_references_throw_InvalidReference(string text)
    {
        Assert.False(ImageReference.TryParse(text, out _));
        var e = Assert.Throws<SbuildException>(() => ImageReference.Parse(text));
        Assert.Equal(ErrorCode.InvalidReference, e.Code);
        Assert.Contains($"\"{text}\"", e.Message);
    }

    [Fact]
    public void Tags_are_limited_to_128_characters()
    {
        Assert.True(ImageReference.TryParse("app:" + new string('t', 128), out _));
        Assert.False(ImageReference.TryParse("app:" + new string('t', 129), out _));
    }

    [Fact]
    public void Equal_texts_give_equal_references()
    {
        Assert.Equal(ImageReference.Parse("docker.io/library/busybox:latest"), ImageReference.Parse("busybox"));
    }

    // Docker's normalisation (distribution/reference ParseNormalizedNamed / splitDockerDomain): the first path component
    // is a registry when it holds '.' or ':' or is "localhost"; otherwise the name is on Docker Hub (docker.io), where a
    // single-component name lives under library/.
    [Theory]
    [InlineData("busybox", "docker.io", "library/busybox", "docker.io/library/busybox:latest")]
    [InlineData("busybox:1.36", "docker.io", "library/busybox", "docker.io/library/busybox:1.36")]
    [InlineData("docker.io/library/busybox", "docker.io", "library/busybox", "docker.io/library/busybox:latest")]
    [InlineData("docker.io/busybox", "docker.io", "library/busybox", "docker.io/library/busybox:latest")]
    [InlineData("library/busybox", "docker.io", "library/busybox", "docker.io/library/busybox:latest")]
    [InlineData("user/app", "docker.io", "user/app", "docker.io/user/app:latest")]
    [InlineData("docker.io/user/app:v2", "docker.io", "user/app", "docker.io/user/app:v2")]
    [InlineData("localhost/app", "localhost", "app", "localhost/app:latest")]
    [InlineData("localhost:5000/app", "localhost:5000", "app", "localhost:5000/app:latest")]
    [InlineData("127.0.0.1:5000/a/b:1", "127.0.0.1:5000", "a/b", "127.0.0.1:5000/a/b:1")]
    [InlineData("ghcr.io/o/r", "ghcr.io", "o/r", "ghcr.io/o/r:latest")]
    [InlineData("registry.example.com:443/x", "registry.example.com:443", "x", "registry.example.com:443/x:latest")]
    [InlineData("gitlab.example.com/group/sub/project:tag", "gitlab.example.com", "group/sub/project", "gitlab.example.com/group/sub/project:tag")]
    [InlineData("host:5000/app", "host:5000", "app", "host:5000/app:latest")]
    public void Names_are_normalised_as_docker_does(string text, string registry, string remotePath, string fullName)
    {
        var r = ImageReference.Parse(text);
        Assert.Equal(registry, r.Registry);
        Assert.Equal(remotePath, r.RemotePath);
        Assert.Equal(fullName, r.FullName);
    }

    [Fact]
    public void Docker_hub_spellings_of_one_image_are_the_same_reference()
    {
        var plain = ImageReference.Parse("busybox");
        foreach (var text in new[] { "docker.io/library/busybox", "docker.io/busybox", "docker.io/library/busybox:latest" })
        {
            var other = ImageReference.Parse(text);
            Assert.Equal(plain, other);
            Assert.Equal(plain.Registry, other.Registry);
            Assert.Equal(plain.RemotePath, other.RemotePath);
            Assert.Equal(plain.FullName, other.FullName);
        }
    }

    [Fact]
    public void RemoteReference_is_the_tag_or_latest()
    {
        Assert.Equal("latest", ImageReference.Parse("busybox").RemoteReference);
        Assert.Equal("1.36", ImageReference.Parse("busybox:1.36").RemoteReference);
    }

    [Fact]
    public void RemoteReference_prefers_the_digest_over_a_tag()
    {
        // Docker pulls by digest when both are given (the tag is then only informative).
        var both = ImageReference.Parse($"ghcr.io/o/r:1@sha256:{Hex}");
        Assert.Equal($"sha256:{Hex}", both.RemoteReference);
        Assert.Equal($"ghcr.io/o/r:1@sha256:{Hex}", both.FullName);

        var digestOnly = ImageReference.Parse($"busybox@sha256:{Hex}");
        Assert.Equal($"sha256:{Hex}", digestOnly.RemoteReference);
        Assert.Equal($"docker.io/library/busybox@sha256:{Hex}", digestOnly.FullName);
    }

    [Fact]
    public void Legacy_index_docker_io_is_docker_hub()
    {
        var r = ImageReference.Parse("index.docker.io/library/busybox");
        Assert.Equal("docker.io", r.Registry);
        Assert.Equal("library/busybox", r.RemotePath);
    }

    [Fact]
    public void Only_single_component_library_names_drop_library()
    {
        var r = ImageReference.Parse("docker.io/library/team/app");
        Assert.Equal("docker.io", r.Registry);
        Assert.Equal("library/team/app", r.RemotePath);
    }
}
