using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Engine.Tests;

/// <summary>Where COPY puts things: the path rules of BuildKit's Dockerfile COPY.</summary>
public sealed class FileCopierTests : IDisposable
{
    private readonly CopyFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public void A_file_copied_to_a_path_without_slash_becomes_a_file_of_that_name()
    {
        _f.Source.File("/hello.txt", "hi\n");

        _f.Copy("/dst", "hello.txt");

        Assert.Equal(FileKind.Regular, _f.StatDest("/dst").Kind);
        Assert.Equal("hi\n", _f.ReadDest("/dst"));
    }

    [Fact]
    public void A_file_copied_to_a_path_with_trailing_slash_goes_inside_that_directory()
    {
        _f.Source.File("/hello.txt", "hi\n");

        _f.Copy("/dst/", "hello.txt");

        Assert.Equal(FileKind.Directory, _f.StatDest("/dst").Kind);
        Assert.Equal(["hello.txt"], _f.ListDest("/dst"));
        Assert.Equal("hi\n", _f.ReadDest("/dst/hello.txt"));
    }

    [Fact]
    public void A_file_copied_to_an_existing_directory_without_slash_goes_inside_it()
    {
        _f.Source.File("/hello.txt", "hi\n");
        _f.Dest.Dir("/dst");

        _f.Copy("/dst", "hello.txt");

        Assert.Equal("hi\n", _f.ReadDest("/dst/hello.txt"));
    }

    [Fact]
    public void A_file_in_a_subdirectory_is_copied_under_its_base_name()
    {
        _f.Source.File("/src/deep/hello.txt", "hi\n");

        _f.Copy("/dst/", "src/deep/hello.txt");

        Assert.Equal(["hello.txt"], _f.ListDest("/dst"));
    }

    [Fact]
    public void A_directory_source_copies_its_contents_not_the_directory_itself()
    {
        _f.Source.File("/dir/a.txt", "a").File("/dir/sub/b.txt", "b");

        _f.Copy("/out", "dir");

        Assert.Equal(["a.txt", "sub"], _f.ListDest("/out"));
        Assert.Equal("b", _f.ReadDest("/out/sub/b.txt"));
    }

    [Fact]
    public void The_source_root_itself_copies_the_whole_context()
    {
        _f.Source.File("/a.txt", "a").File("/sub/b.txt", "b");

        _f.Copy("/app/", ".");

        Assert.Equal(["a.txt", "sub"], _f.ListDest("/app"));
    }

    [Fact]
    public void Several_sources_all_land_in_the_destination_directory()
    {
        _f.Source.File("/a.txt", "a").File("/b.txt", "b").File("/dir/c.txt", "c");

        _f.Copy("/out/", "a.txt", "b.txt", "dir");

        Assert.Equal(["a.txt", "b.txt", "c.txt"], _f.ListDest("/out"));
    }

    [Fact]
    public void A_wildcard_copies_every_match_and_nothing_else()
    {
        _f.Source.File("/a.txt", "a").File("/b.txt", "b").File("/c.md", "c").File("/sub/d.txt", "d");

        _f.Copy("/out/", "*.txt");

        Assert.Equal(["a.txt", "b.txt"], _f.ListDest("/out"));
    }

    [Fact]
    public void A_wildcard_in_a_directory_component_matches_inside_each_directory()
    {
        _f.Source.File("/pkg-a/meta.json", "a").File("/pkg-b/meta.json", "b").File("/other/meta.json", "o");

        _f.Copy("/out/", "pkg-*/meta.json");

        // Both matches share a base name, so the later one (sorted: pkg-b) is what remains.
        Assert.Equal(["meta.json"], _f.ListDest("/out"));
        Assert.Equal("b", _f.ReadDest("/out/meta.json"));
    }

    [Fact]
    public void Wildcard_matches_are_copied_in_sorted_order()
    {
        // 26 directories each holding name.txt: all land on /out/name.txt, so the last one copied wins. BuildKit
        // sorts matches, so that is "z" whatever order the file system lists the directories in.
        foreach (var c in "qwertyuiopasdfghjklzxcvbnm")
            _f.Source.File($"/{c}/name.txt", c.ToString());

        _f.Copy("/out/", "*/name.txt");

        Assert.Equal("z", _f.ReadDest("/out/name.txt"));
    }

    [Fact]
    public void A_wildcard_that_matches_nothing_copies_nothing_and_creates_no_destination()
    {
        _f.Source.File("/a.md", "a");

        _f.Copy("/out/", "*.txt");

        Assert.False(Path.Exists(_f.Dest.HostPath("/out")));
    }

    [Fact]
    public void Character_classes_ranges_negation_and_escapes_match_like_go()
    {
        _f.Source.File("/a1.txt", "a").File("/b1.txt", "b").File("/c1.txt", "c").File("/[x].txt", "x").File("/a2.txt", "2");

        _f.Copy("/classes/", "[ab]1.txt");
        _f.Copy("/range/", "[b-z]?.txt");
        _f.Copy("/negated/", "[^ab]*.txt");
        _f.Copy("/escaped/", "\\[x\\]*");

        Assert.Equal(["a1.txt", "b1.txt"], _f.ListDest("/classes"));
        Assert.Equal(["b1.txt", "c1.txt"], _f.ListDest("/range"));
        Assert.Equal(["[x].txt", "c1.txt"], _f.ListDest("/negated"));
        Assert.Equal(["[x].txt"], _f.ListDest("/escaped"));
    }

    [Fact]
    public void A_malformed_pattern_fails_naming_it()
    {
        _f.Source.File("/a.txt", "a");

        var error = Assert.Throws<SbuildException>(() => _f.Copy("/out/", "[a-*.txt"));

        Assert.Contains("syntax error in pattern \"[a-*.txt\"", error.Message);
    }

    [Fact]
    public void A_missing_source_fails_naming_it()
    {
        _f.Source.File("/present.txt", "a");

        var error = Assert.Throws<SbuildException>(() => _f.Copy("/out/", "present.txt", "missing.txt"));

        Assert.Equal(ErrorCode.CopySourceNotFound, error.Code);
        Assert.Contains("missing.txt", error.Message);
    }

    [Fact]
    public void A_source_cannot_reach_above_the_source_root()
    {
        // "../x" is cleaned to "/x" of the context, so a same-named file next to the context is never read.
        using var outer = new TempDirectory("sbuild-copy-outer-");
        var inner = Directory.CreateDirectory(Path.Combine(outer.Path, "ctx")).FullName;
        File.WriteAllText(Path.Combine(outer.Path, "secret.txt"), "host");
        File.WriteAllText(Path.Combine(inner, "secret.txt"), "context");

        FileCopier.Copy(inner, new CopySelection(["../secret.txt"]), _f.Dest.Root, "/got", CopyFixture.DefaultOwnership);

        Assert.Equal("context", _f.ReadDest("/got"));
    }

    [Fact]
    public void A_symlink_named_as_source_is_followed_and_copied_under_the_links_name()
    {
        _f.Source.File("/real.txt", "content", Modes.Octal("0640")).Symlink("/link.txt", "real.txt");

        _f.Copy("/out/", "link.txt");

        Assert.Equal(["link.txt"], _f.ListDest("/out"));
        var st = _f.StatDest("/out/link.txt");
        Assert.Equal(FileKind.Regular, st.Kind);
        Assert.Equal(Convert.ToInt32("0640", 8), st.Permissions);
        Assert.Equal("content", _f.ReadDest("/out/link.txt"));
    }

    [Fact]
    public void A_symlink_source_with_an_absolute_target_is_followed_inside_the_source_root()
    {
        _f.Source.File("/data/real.txt", "in context").Symlink("/link", "/data/real.txt");

        _f.Copy("/got", "link");

        Assert.Equal("in context", _f.ReadDest("/got"));
    }

    [Fact]
    public void A_symlink_to_a_directory_named_as_source_copies_the_directorys_contents()
    {
        _f.Source.File("/real/a.txt", "a").Symlink("/link", "real");

        _f.Copy("/out", "link");

        Assert.Equal(["a.txt"], _f.ListDest("/out"));
    }

    [Fact]
    public void Symlinks_inside_a_copied_directory_are_kept_as_symlinks()
    {
        _f.Source.File("/dir/target.txt", "t")
            .Symlink("/dir/relative", "target.txt")
            .Symlink("/dir/absolute", "/etc/passwd")
            .Symlink("/dir/dangling", "does/not/exist");

        _f.Copy("/out", "dir");

        foreach (var (name, target) in new[] { ("relative", "target.txt"), ("absolute", "/etc/passwd"), ("dangling", "does/not/exist") })
        {
            Assert.Equal(FileKind.Symlink, _f.StatDest($"/out/{name}").Kind);
            Assert.Equal(target, new FileInfo(_f.Dest.HostPath($"/out/{name}")).LinkTarget);
        }
    }

    [Fact]
    public void Hardlinked_files_in_a_copied_directory_stay_hardlinked_in_the_destination()
    {
        _f.Source.File("/dir/a", "shared").HardLink("/dir/sub/b", "/dir/a").File("/dir/c", "shared");

        _f.Copy("/out", "dir");

        var a = _f.StatDest("/out/a");
        var b = _f.StatDest("/out/sub/b");
        var c = _f.StatDest("/out/c");
        Assert.Equal(a.Inode, b.Inode);
        Assert.Equal(2u, a.LinkCount);
        Assert.NotEqual(a.Inode, c.Inode); // same content alone does not make a link
        Assert.NotEqual(UnixFs.LStat(_f.Source.HostPath("/dir/a")).Inode, a.Inode); // a copy, not a link into the source
        Assert.Equal("shared", _f.ReadDest("/out/sub/b"));
    }

    [Fact]
    public void Hardlinked_files_named_as_separate_sources_or_matched_separately_are_copied_as_separate_files()
    {
        // BuildKit (checked by the oracle): each source and each wildcard match is copied on its own, so links between
        // them are not kept.
        _f.Source.File("/hard1", "shared").HardLink("/hard2", "/hard1");

        _f.Copy("/named/", "hard1", "hard2");
        _f.Copy("/matched/", "hard*");

        foreach (var dir in new[] { "/named", "/matched" })
        {
            Assert.NotEqual(_f.StatDest($"{dir}/hard1").Inode, _f.StatDest($"{dir}/hard2").Inode);
            Assert.Equal(1u, _f.StatDest($"{dir}/hard1").LinkCount);
        }
    }

    [Fact]
    public void Missing_parent_directories_are_created_0755_and_root_owned()
    {
        _f.Source.Dir("/dir", Modes.Octal("0700"), uid: 1234, gid: 1234).File("/dir/f", "x", uid: 1234, gid: 1234);

        _f.Copy("/x/y/z", "dir");

        foreach (var parent in new[] { "/x", "/x/y" })
        {
            var st = _f.StatDest(parent);
            Assert.Equal((Convert.ToInt32("0755", 8), 0u, 0u), (st.Permissions, st.Uid, st.Gid));
        }
        // The destination directory is made like its parents: BuildKit copies the directory's contents into it.
        var made = _f.StatDest("/x/y/z");
        Assert.Equal((Convert.ToInt32("0755", 8), 0u, 0u), (made.Permissions, made.Uid, made.Gid));
    }

    [Fact]
    public void Missing_parents_of_a_file_destination_are_created_0755_and_root_owned()
    {
        _f.Source.File("/f", "x", Modes.Octal("0600"), uid: 1234, gid: 1234);

        _f.Copy("/a/b/", "f");

        foreach (var parent in new[] { "/a", "/a/b" })
        {
            var st = _f.StatDest(parent);
            Assert.Equal((Convert.ToInt32("0755", 8), 0u, 0u), (st.Permissions, st.Uid, st.Gid));
        }
    }

    [Fact]
    public void Copying_a_directory_onto_an_existing_directory_merges_and_overwrites_same_names()
    {
        _f.Dest.File("/out/keep.txt", "kept").File("/out/sub/old.txt", "old").File("/out/same.txt", "before");
        _f.Source.File("/dir/new.txt", "new").File("/dir/sub/new2.txt", "new2").File("/dir/same.txt", "after");

        _f.Copy("/out", "dir");

        Assert.Equal(["keep.txt", "new.txt", "same.txt", "sub"], _f.ListDest("/out"));
        Assert.Equal(["new2.txt", "old.txt"], _f.ListDest("/out/sub"));
        Assert.Equal("kept", _f.ReadDest("/out/keep.txt"));
        Assert.Equal("after", _f.ReadDest("/out/same.txt"));
    }

    [Fact]
    public void A_destination_through_a_symlinked_directory_is_resolved_inside_the_dest_root()
    {
        // "/link" points at "/real" of the rootfs; on the host, /real does not exist.
        _f.Dest.Dir("/real").Symlink("/link", "/real").Symlink("/escape", "/../../../real");
        _f.Source.File("/a.txt", "a").File("/b.txt", "b");

        _f.Copy("/link/a.txt", "a.txt");
        _f.Copy("/escape/", "b.txt");

        Assert.Equal(["a.txt", "b.txt"], _f.ListDest("/real"));
        Assert.Equal(FileKind.Symlink, _f.StatDest("/link").Kind);
        Assert.Equal(FileKind.Symlink, _f.StatDest("/escape").Kind);
    }

    [Fact]
    public void A_directory_copied_over_an_absolute_symlink_in_the_rootfs_never_writes_outside_the_root()
    {
        // The rootfs has /bin -> <a host directory>. Copying a tree with bin/ into / must not follow that link on
        // the host (BuildKit refuses: "cannot copy to non-directory"); at most it may resolve it inside the root.
        using var host = new TempDirectory("sbuild-copy-host-");
        _f.Dest.Symlink("/bin", host.Path);
        _f.Source.File("/tree/bin/tool", "payload");

        try
        {
            _f.Copy("/", "tree");
        }
        catch (SbuildException)
        {
            // Refusing is fine; writing to the host is not.
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(host.Path));
    }

    [Fact]
    public void Fifos_and_device_nodes_in_a_copied_directory_are_recreated()
    {
        _f.Source.Fifo("/dir/pipe", Modes.Octal("0620")).Device("/dir/null", FileKind.CharDevice, 1, 3, Modes.Octal("0666"));

        _f.Copy("/out", "dir");

        var pipe = _f.StatDest("/out/pipe");
        Assert.Equal((FileKind.Fifo, Convert.ToInt32("0620", 8)), (pipe.Kind, pipe.Permissions));
        var dev = _f.StatDest("/out/null");
        Assert.Equal((FileKind.CharDevice, 1u, 3u), (dev.Kind, dev.RdevMajor, dev.RdevMinor));
    }
}
