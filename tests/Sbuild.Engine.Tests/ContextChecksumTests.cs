using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Engine.Tests;

/// <summary>The COPY cache key of context files: changes exactly when what COPY would produce changes.</summary>
public sealed class ContextChecksumTests : IDisposable
{
    private readonly TempDirectory _context = new("sbuild-ctx-");
    private readonly RootfsBuilder _fs;

    public ContextChecksumTests()
    {
        _fs = new RootfsBuilder(_context.Path);
        Populate(_fs);
    }

    public void Dispose() => _context.Dispose();

    private static readonly string[] Sources = ["app", "single.txt", "*.md"];

    private static void Populate(RootfsBuilder fs) =>
        fs.File("/app/main.txt", "main")
            .File("/app/sub/x.txt", "x", Modes.Octal("0600"))
            .Symlink("/app/link", "main.txt")
            .File("/single.txt", "single")
            .File("/README.md", "readme")
            .File("/unrelated/other.txt", "other");

    private Digest Compute() => ContextChecksum.Compute(_context.Path, new CopySelection(Sources));

    /// <summary>The digest before and after <paramref name="change"/>.</summary>
    private (Digest Before, Digest After) Around(Action<RootfsBuilder> change)
    {
        var before = Compute();
        change(_fs);
        return (before, Compute());
    }

    [Fact]
    public void The_same_content_in_another_directory_gives_the_same_digest()
    {
        using var other = new TempDirectory("sbuild-ctx-copy-");
        Populate(new RootfsBuilder(other.Path));

        Assert.Equal(Compute(), ContextChecksum.Compute(other.Path, new CopySelection(Sources)));
        Assert.Equal(Compute(), Compute());
    }

    [Fact]
    public void Changing_a_files_content_changes_the_digest()
    {
        var (before, after) = Around(fs => fs.File("/app/sub/x.txt", "X", Modes.Octal("0600")));
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Changing_a_named_files_content_changes_the_digest()
    {
        var (before, after) = Around(fs => fs.File("/single.txt", "changed"));
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Changing_a_mode_changes_the_digest()
    {
        var (before, after) = Around(fs => fs.Chmod("/app/main.txt", Modes.Octal("0755")));
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Adding_a_file_in_a_copied_directory_changes_the_digest()
    {
        var (before, after) = Around(fs => fs.File("/app/sub/new.txt", ""));
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Adding_a_file_matching_a_wildcard_changes_the_digest()
    {
        var (before, after) = Around(fs => fs.File("/CHANGELOG.md", "v1"));
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Changing_a_symlink_target_changes_the_digest()
    {
        var (before, after) = Around(fs => fs.Remove("/app/link").Symlink("/app/link", "sub/x.txt"));
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Changing_a_device_nodes_numbers_changes_the_digest()
    {
        _fs.Device("/app/null", FileKind.CharDevice, 1, 3);
        var (before, after) = Around(fs => fs.Remove("/app/null").Device("/app/null", FileKind.CharDevice, 1, 5));
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Replacing_a_hard_link_with_a_copy_changes_the_digest()
    {
        // COPY keeps the link (one inode in the layer) or the copy (two files): different results, different keys.
        _fs.HardLink("/app/main-link.txt", "/app/main.txt");
        var (before, after) = Around(fs => fs.Remove("/app/main-link.txt").File("/app/main-link.txt", "main"));
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Hard_links_between_two_sources_do_not_count()
    {
        // Each source is copied on its own, so a link between single.txt and a file of app/ is two files either way.
        _fs.File("/app/main.txt", "single");
        var (before, after) = Around(fs => fs.Remove("/single.txt").HardLink("/single.txt", "/app/main.txt"));
        Assert.Equal(before, after);
    }

    [Fact]
    public void Adding_an_empty_directory_changes_the_digest()
    {
        var (before, after) = Around(fs => fs.Dir("/app/empty"));
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Renaming_a_file_changes_the_digest()
    {
        var (before, after) = Around(fs => File.Move(fs.HostPath("/app/main.txt"), fs.HostPath("/app/main2.txt")));
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Changing_only_mtimes_keeps_the_digest()
    {
        var (before, after) = Around(fs =>
        {
            File.SetLastWriteTimeUtc(fs.HostPath("/app/main.txt"), new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
            Directory.SetLastWriteTimeUtc(fs.HostPath("/app/sub"), new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        });
        Assert.Equal(before, after);
    }

    [Fact]
    public void Changing_only_ownership_keeps_the_digest()
    {
        // COPY resets ownership to 0:0 (or to --chown), so the context's owners cannot change the result.
        var (before, after) = Around(fs => UnixFs.LChown(fs.HostPath("/app/main.txt"), 1234, 1234));
        Assert.Equal(before, after);
    }

    [Fact]
    public void Changing_files_no_source_covers_keeps_the_digest()
    {
        string[] sources = ["app", "single.txt"];
        var before = ContextChecksum.Compute(_context.Path, new CopySelection(sources));

        _fs.File("/unrelated/other.txt", "changed").File("/unrelated/new.txt", "new").File("/top.txt", "new");

        Assert.Equal(before, ContextChecksum.Compute(_context.Path, new CopySelection(sources)));
    }

    [Fact]
    public void Changing_files_a_wildcard_cannot_match_keeps_the_digest()
    {
        // The Node idiom: COPY package*.json ./ then RUN npm ci must stay cached while only the code changes.
        // "*" never matches "/", so nothing below a subdirectory can match "package*.json".
        _fs.File("/package.json", "{}").File("/package-lock.json", "{}").File("/src/index.js", "v1");
        string[] sources = ["package*.json"];
        var before = ContextChecksum.Compute(_context.Path, new CopySelection(sources));

        _fs.File("/src/index.js", "v2").File("/src/extra.js", "new");

        Assert.Equal(before, ContextChecksum.Compute(_context.Path, new CopySelection(sources)));
    }

    [Fact]
    public void Changing_a_file_a_wildcard_matches_changes_the_digest()
    {
        _fs.File("/package.json", "{}").File("/src/index.js", "v1");
        string[] sources = ["package*.json"];
        var before = ContextChecksum.Compute(_context.Path, new CopySelection(sources));

        _fs.File("/package.json", "{\"name\":\"x\"}");

        Assert.NotEqual(before, ContextChecksum.Compute(_context.Path, new CopySelection(sources)));
    }

    [Fact]
    public void A_missing_source_fails_naming_it()
    {
        var error = Assert.Throws<SbuildException>(() => ContextChecksum.Compute(_context.Path, new CopySelection(["app", "nope.txt"])));

        Assert.Equal(ErrorCode.CopySourceNotFound, error.Code);
        Assert.Contains("nope.txt", error.Message);
    }
}
