using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Engine.Tests;

/// <summary>
/// <c>COPY --parents</c> and <c>--exclude</c> as BuildKit's frontend and fsutil copier apply them (the cases of its
/// exclude_patterns_test.go and the pivot rule of dispatchCopy); CopyFlagParityTests checks the same against BuildKit.
/// </summary>
public sealed class CopyPatternTests : IDisposable
{
    private readonly CopyFixture _f = new();

    public void Dispose() => _f.Dispose();

    private void Copy(CopySelection selection, string destination) =>
        FileCopier.Copy(_f.Source.Root, selection, _f.Dest.Root, destination, CopyFixture.DefaultOwnership);

    private string[] Tree(string path) =>
        [.. Directory.EnumerateFileSystemEntries(_f.Dest.HostPath(path), "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(_f.Dest.HostPath(path), p)).Order(StringComparer.Ordinal)];

    [Fact]
    public void Exclude_patterns_match_below_each_source_never_the_source_itself()
    {
        _f.Source.File("/dir1/a.png", "1").File("/dir1/b.txt", "2").File("/dir2/c.png", "3").File("/x.png", "4");

        Copy(new CopySelection(["dir*", "x.png"], Excludes: ["*.png"]), "/d/");

        // dir* matches dir1 and dir2, whose contents are copied; *.png is matched against a.png, c.png below them,
        // while x.png, a source itself, is copied (fsutil never matches the copied source against the patterns).
        Assert.Equal(["b.txt", "x.png"], Tree("/d"));
    }

    [Fact]
    public void An_excluded_directory_is_made_only_for_what_an_exception_brings_back()
    {
        _f.Source.Dir("/src/keep", Modes.Octal("700"), uid: 3, gid: 4).File("/src/keep/yes.txt", "y").File("/src/keep/no.txt", "n")
            .Dir("/src/gone").File("/src/gone/no.txt", "n");

        Copy(new CopySelection(["src"], Excludes: ["keep", "gone", "!keep/yes.txt"]), "/d/");

        Assert.Equal(["keep", "keep/yes.txt"], Tree("/d"));
        var keep = _f.StatDest("/d/keep");
        Assert.Equal(Modes.Octal("700"), (UnixFileMode)keep.Permissions);
        Assert.Equal((0u, 0u), (keep.Uid, keep.Gid)); // context files become root's, the delayed directory too
    }

    [Fact]
    public void Parents_keep_the_path_below_the_pivot()
    {
        _f.Source.File("/a/b/c/1.txt", "1").File("/a/b/2.md", "2").File("/a/q/3.txt", "3");

        Copy(new CopySelection(["a/b/c/1.txt", "a/./q/*.txt", "./a/b/*.md"], Parents: true), "/d/");

        Assert.Equal(["a", "a/b", "a/b/2.md", "a/b/c", "a/b/c/1.txt", "q", "q/3.txt"], Tree("/d"));
    }

    [Fact]
    public void Parents_of_a_missing_plain_path_fail_and_of_an_unmatched_wildcard_copy_nothing()
    {
        _f.Source.File("/a/1.txt", "1");

        var error = Assert.Throws<SbuildException>(() => Copy(new CopySelection(["a/2.txt"], Parents: true), "/d/"));
        Assert.Equal(ErrorCode.CopySourceNotFound, error.Code);
        Assert.Contains("a/2.txt", error.Message);

        Copy(new CopySelection(["a/*.md"], Parents: true), "/e/");
        Assert.Empty(Tree("/e"));
    }

    [Fact]
    public void A_directory_below_the_source_that_exists_takes_the_source_owner_and_mode()
    {
        _f.Source.Dir("/s/sub", Modes.Octal("700"), uid: 5, gid: 6).File("/s/sub/f", "f");
        _f.Dest.Dir("/d/sub", Modes.Octal("755"), uid: 9, gid: 9);

        FileCopier.Copy(_f.Source.Root, new CopySelection(["s"]), _f.Dest.Root, "/d/",
            new CopyOwnership(null, null, null, PreserveOwnership: true));

        var sub = _f.StatDest("/d/sub");
        Assert.Equal((Modes.Octal("700"), 5u, 6u), ((UnixFileMode)sub.Permissions, sub.Uid, sub.Gid));
    }

    [Fact]
    public void Patterns_change_the_content_checksum_and_excluded_files_do_not()
    {
        _f.Source.File("/s/a.txt", "a").File("/s/b.md", "b");
        var excluding = new CopySelection(["s"], Excludes: ["*.md"]);
        var before = ContextChecksum.Compute(_f.Source.Root, excluding);

        Assert.NotEqual(ContextChecksum.Compute(_f.Source.Root, new CopySelection(["s"])), before);
        _f.Source.File("/s/b.md", "changed");
        Assert.Equal(before, ContextChecksum.Compute(_f.Source.Root, excluding));
        _f.Source.File("/s/a.txt", "changed");
        Assert.NotEqual(before, ContextChecksum.Compute(_f.Source.Root, excluding));
    }
}
