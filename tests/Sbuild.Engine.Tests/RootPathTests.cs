using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Engine.Tests;

/// <summary>Container path resolution: like a chroot, nothing (neither <c>..</c> nor a symlink) may leave the root.</summary>
public sealed class RootPathTests : IDisposable
{
    private readonly TempDirectory _root = new("sbuild-rootpath-");
    private readonly RootfsBuilder _fs;

    public RootPathTests() => _fs = new RootfsBuilder(_root.Path);

    public void Dispose() => _root.Dispose();

    private string Host(string relative) => Path.Combine(_root.Path, relative);

    [Fact]
    public void Plain_paths_map_under_the_root_even_when_missing() =>
        Assert.Equal(Host("a/b/c"), RootPath.Resolve(_root.Path, "/a/b/c", followFinal: true));

    [Fact]
    public void The_container_root_is_the_host_root_directory() =>
        Assert.Equal(_root.Path, RootPath.Resolve(_root.Path, "/", followFinal: true));

    [Fact]
    public void Dot_dot_above_the_root_stays_at_the_root() =>
        Assert.Equal(Host("etc/passwd"), RootPath.Resolve(_root.Path, "/../../etc/../../etc/passwd", followFinal: true));

    [Fact]
    public void An_absolute_link_target_with_dot_dots_stays_inside_the_root()
    {
        _fs.Symlink("/a", "/../../etc");

        Assert.Equal(Host("etc/passwd"), RootPath.Resolve(_root.Path, "/a/passwd", followFinal: true));
        Assert.Equal(Host("etc"), RootPath.Resolve(_root.Path, "/a", followFinal: true));
    }

    [Fact]
    public void An_absolute_link_target_restarts_at_the_root_not_at_the_host_root()
    {
        _fs.Dir("/usr/lib").Symlink("/usr/lib/libc.so", "/lib/real/libc.so.6");

        Assert.Equal(Host("lib/real/libc.so.6"), RootPath.Resolve(_root.Path, "/usr/lib/libc.so", followFinal: true));
    }

    [Fact]
    public void A_relative_link_target_is_resolved_from_the_links_directory()
    {
        _fs.Dir("/usr/share").Symlink("/usr/lib/x", "../share/x");

        Assert.Equal(Host("usr/share/x"), RootPath.Resolve(_root.Path, "/usr/lib/x", followFinal: true));
    }

    [Fact]
    public void A_relative_link_target_climbing_past_the_root_stays_inside()
    {
        _fs.Symlink("/d/l", "../../../../x");

        Assert.Equal(Host("x/y"), RootPath.Resolve(_root.Path, "/d/l/y", followFinal: true));
    }

    [Fact]
    public void Intermediate_links_are_followed_even_when_the_final_one_is_not()
    {
        _fs.Dir("/usr/bin").Symlink("/bin", "usr/bin").Symlink("/usr/bin/sh", "dash");

        Assert.Equal(Host("usr/bin/sh"), RootPath.Resolve(_root.Path, "/bin/sh", followFinal: false));
        Assert.Equal(Host("usr/bin/dash"), RootPath.Resolve(_root.Path, "/bin/sh", followFinal: true));
    }

    [Fact]
    public void FollowFinal_false_keeps_a_final_symlink()
    {
        _fs.Dir("/real").Symlink("/link", "/real");

        Assert.Equal(Host("link"), RootPath.Resolve(_root.Path, "/link", followFinal: false));
        Assert.Equal(Host("real"), RootPath.Resolve(_root.Path, "/link", followFinal: true));
    }

    [Fact]
    public void Dot_dot_after_a_link_goes_up_from_the_links_target()
    {
        // Like the kernel: "/link/.." is the parent of the directory the link points to, not the root.
        _fs.Dir("/x/y").Symlink("/link", "/x/y");

        Assert.Equal(Host("x/z"), RootPath.Resolve(_root.Path, "/link/../z", followFinal: true));
    }

    [Fact]
    public void Link_chains_are_followed_to_the_end()
    {
        _fs.Dir("/c").Symlink("/a", "b").Symlink("/b", "/c");

        Assert.Equal(Host("c/f"), RootPath.Resolve(_root.Path, "/a/f", followFinal: true));
    }

    [Fact]
    public void A_dangling_link_resolves_to_where_its_target_would_be()
    {
        _fs.Symlink("/l", "/nothere/x");

        Assert.Equal(Host("nothere/x"), RootPath.Resolve(_root.Path, "/l", followFinal: true));
    }

    [Fact]
    public void A_link_loop_fails_with_an_sbuild_error()
    {
        _fs.Symlink("/a", "b").Symlink("/b", "/a");

        var error = Assert.Throws<SbuildException>(() => RootPath.Resolve(_root.Path, "/a/file", followFinal: true));
        Assert.Contains("/a/file", error.Message);
    }

    [Fact]
    public void A_self_referencing_link_fails_with_an_sbuild_error()
    {
        _fs.Symlink("/self", "self");

        Assert.Throws<SbuildException>(() => RootPath.Resolve(_root.Path, "/self", followFinal: true));
    }

    [Theory]
    [InlineData("a/./b/../c", "/a/c")]
    [InlineData("//x//", "/x")]
    [InlineData("/..", "/")]
    [InlineData("../../a", "/a")]
    [InlineData("/a/b/../../..", "/")]
    [InlineData("", "/")]
    [InlineData(".", "/")]
    [InlineData("/usr/local/bin/", "/usr/local/bin")]
    public void Clean_normalises_like_path_Clean(string input, string expected) =>
        Assert.Equal(expected, RootPath.Clean(input));
}
