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
}
