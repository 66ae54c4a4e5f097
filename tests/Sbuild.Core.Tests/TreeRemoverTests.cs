using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Core.Tests;

public sealed class TreeRemoverTests
{
    /// <summary>What a RUN can leave in a snapshot: a path far beyond PATH_MAX (4096), a name that is not UTF-8, a
    /// symbolic link to the host's root, a directory without any permission.</summary>
    [Fact]
    public async Task Removes_a_tree_deeper_than_path_max_with_odd_names_and_never_follows_links()
    {
        using var temp = new TempDirectory("sbuild-tree-");
        var root = temp.Combine("tree");
        var outside = temp.Combine("outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "keep"), "x");
        await ProcessRunner.RunAsync("sh", ["-c", """
            set -e
            mkdir "$1" && cd "$1"
            printf x > "$(printf 'latin1-\351')"
            ln -s "$2" link-out
            mkdir locked && touch locked/f && chmod 000 locked
            perl -e 'for (1..1500) { mkdir "dddd" or die "mkdir: $!"; chdir "dddd" or die "chdir: $!" } open(F, ">file") or die; symlink("/", "root-link") or die'
            """, "sh", root, outside], CancellationToken.None);
        var depth = await ProcessRunner.RunAsync("sh", ["-c", "cd \"$1\" && find . | awk '{ if (length($0) > m) m = length($0) } END { print m }'", "sh", root], CancellationToken.None);
        Assert.True(int.Parse(depth.StandardOutput.Trim()) > 7000, depth.StandardOutput);

        TreeRemover.Delete(root);

        Assert.False(Directory.Exists(root));
        Assert.Equal("x", File.ReadAllText(Path.Combine(outside, "keep")));
    }

    [Fact]
    public void A_file_a_link_or_a_missing_path_is_removed_as_an_entry()
    {
        using var temp = new TempDirectory("sbuild-tree-");
        var file = temp.Combine("file");
        File.WriteAllText(file, "x");
        var dir = temp.Combine("dir");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "keep"), "x");
        var link = temp.Combine("link");
        File.CreateSymbolicLink(link, dir);

        TreeRemover.Delete(file);
        TreeRemover.Delete(link);
        TreeRemover.Delete(temp.Combine("missing"));

        Assert.False(File.Exists(file));
        Assert.False(Path.Exists(link));
        Assert.True(File.Exists(Path.Combine(dir, "keep")));
    }

    /// <summary>A mount left inside a tree (a crashed step's overlay) is not emptied: its files are not the tree's.</summary>
    [Fact]
    public async Task Stops_at_a_mount_point_inside_the_tree()
    {
        using var temp = new TempDirectory("sbuild-tree-");
        var source = temp.Combine("source");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "keep"), "x");
        var target = temp.Combine("tree", "sub", "mnt");
        Directory.CreateDirectory(target);
        await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "tmpfs", target], CancellationToken.None);
        File.WriteAllText(Path.Combine(target, "keep"), "x");
        try
        {
            var error = Assert.Throws<SbuildException>(() => TreeRemover.Delete(temp.Combine("tree")));
            Assert.Contains("another file system is mounted there", error.Message);
            Assert.True(File.Exists(Path.Combine(target, "keep")));
        }
        finally
        {
            await ProcessRunner.RunAsync("umount", [target], CancellationToken.None);
        }
    }
}
