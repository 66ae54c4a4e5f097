using Sbuild.Core;
using Sbuild.Parser;
using Sbuild.TestSupport;

namespace Sbuild.Engine.Tests;

/// <summary>
/// .dockerignore as COPY and its cache key both see it: one check decides, so the key covers exactly what is copied,
/// and what it leaves out is what BuildKit leaves out of the context it sends.
/// </summary>
public sealed class ContextIgnoreTests : IDisposable
{
    private readonly CopyFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static readonly CopyOwnership Ownership = CopyFixture.DefaultOwnership;

    private void Copy(DockerIgnore ignore, string destination, params string[] sources) =>
        FileCopier.Copy(_f.Source.Root, new CopySelection(sources), _f.Dest.Root, destination, Ownership, ignore);

    private Digest Key(DockerIgnore ignore, params string[] sources) => ContextChecksum.Compute(_f.Source.Root, new CopySelection(sources), ignore);

    [Fact]
    public void An_excluded_file_named_as_a_source_is_not_found_even_when_a_pattern_may_reinclude_below_its_name()
    {
        // "!*/keep" could re-include something below any top-level name, but nothing is below a file: BuildKit does not
        // send notes.txt, so COPY notes.txt fails. sbuild used to copy it (and key it) because of that exception.
        var ignore = DockerIgnore.Parse("*\n!*/keep\n");
        _f.Source.File("/notes.txt", "excluded").File("/dir/keep", "kept").File("/dir/other", "excluded");

        var copyError = Assert.Throws<SbuildException>(() => Copy(ignore, "/out/", "notes.txt"));
        var keyError = Assert.Throws<SbuildException>(() => Key(ignore, "notes.txt"));

        Assert.Equal((ErrorCode.CopySourceNotFound, ErrorCode.CopySourceNotFound), (copyError.Code, keyError.Code));
        Assert.False(File.Exists(_f.Dest.HostPath("/out/notes.txt")));

        Copy(ignore, "/out/", "dir");
        Assert.Equal(["keep"], _f.ListDest("/out"));
    }

    [Fact]
    public void Excluded_files_a_wildcard_matches_are_neither_copied_nor_keyed()
    {
        var ignore = DockerIgnore.Parse("*\n!*/keep\n!kept.txt\n");
        _f.Source.File("/kept.txt", "in").File("/notes.txt", "excluded");
        var before = Key(ignore, "*.txt");

        Copy(ignore, "/out/", "*.txt");
        _f.Source.File("/notes.txt", "changed");

        Assert.Equal(["kept.txt"], _f.ListDest("/out"));
        Assert.Equal(before, Key(ignore, "*.txt"));
    }

    [Fact]
    public void An_excluded_symlink_to_a_directory_is_left_out_of_both_the_copy_and_the_key()
    {
        // "!app/link/keep" may re-include below the name app/link, but that is a symlink, not a directory, as BuildKit's
        // context walk sees it (lstat): it is excluded. The key used to follow it (Directory.Exists) and hash it; the copy did not.
        var ignore = DockerIgnore.Parse("app/link\n!app/link/keep\n");
        _f.Source.File("/app/real/keep", "k").File("/app/main.txt", "m");
        var withoutLink = Key(ignore, "app");
        _f.Source.Symlink("/app/link", "real");

        Copy(ignore, "/out/", "app");

        Assert.Equal(["main.txt", "real"], _f.ListDest("/out"));
        Assert.Equal(withoutLink, Key(ignore, "app"));
        _f.Source.Remove("/app/link").Symlink("/app/link", "elsewhere");
        Assert.Equal(withoutLink, Key(ignore, "app"));
    }

    [Fact]
    public void An_excluded_real_directory_is_walked_for_what_an_exception_brings_back()
    {
        var ignore = DockerIgnore.Parse("docs\n!docs/keep.md\n");
        _f.Source.File("/docs/keep.md", "k").File("/docs/drop.md", "d");
        var before = Key(ignore, ".");

        Copy(ignore, "/out/", ".");
        _f.Source.File("/docs/drop.md", "changed");

        Assert.Equal(["keep.md"], _f.ListDest("/out/docs"));
        Assert.Equal(before, Key(ignore, "."));
        _f.Source.File("/docs/keep.md", "changed");
        Assert.NotEqual(before, Key(ignore, "."));
    }
}
