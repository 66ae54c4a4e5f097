using Sbuild.Core;
using Sbuild.Parser;
using Sbuild.TestSupport;

namespace Sbuild.Engine.Tests;

/// <summary>
/// The combined checksum's format is part of every COPY cache key already on disk: it must not change. The expected
/// digest was computed by the implementation before the stat cache and parallel hashing existed.
/// </summary>
public sealed class ContextChecksumFormatTests : IDisposable
{
    private readonly TempDirectory _context = new("sbuild-ctx-format-");

    public void Dispose() => _context.Dispose();

    [Fact]
    public void The_checksum_of_a_fixed_tree_is_the_one_the_old_implementation_gave()
    {
        FixedContextTree.Populate(_context.Path);
        Assert.Equal(FixedContextTree.Expected, ContextChecksum.Compute(_context.Path, new CopySelection(FixedContextTree.Sources), FixedContextTree.Ignore).ToString());
    }
}

/// <summary>A context tree whose checksum is pinned.</summary>
public static class FixedContextTree
{
    /// <summary>A fixed tree: nested directories, modes, a symlink, an empty file, a file larger than one read buffer, an ignored file.</summary>
    public static void Populate(string root)
    {
        var fs = new RootfsBuilder(root);
        var big = new byte[200_000];
        for (var i = 0; i < big.Length; i++) big[i] = (byte)(i * 7 + i / 251);
        fs.File("/app/main.txt", "main")
            .File("/app/sub/x.txt", "x", Modes.Octal("0600"))
            .File("/app/sub/run.sh", "#!/bin/sh\necho hi\n", Modes.Octal("0755"))
            .File("/app/empty", "")
            .File("/app/big.bin", big)
            .File("/app/skip.log", "ignored")
            .Dir("/app/emptydir", Modes.Octal("0700"))
            .Symlink("/app/link", "main.txt")
            .File("/single.txt", "single")
            .File("/README.md", "readme")
            .File("/NOTES.md", "notes");
        for (var i = 0; i < 50; i++) fs.File($"/app/many/f{i:D3}.txt", $"file {i}\n");
    }

    public static readonly string[] Sources = ["app", "single.txt", "*.md"];

    public static DockerIgnore Ignore => DockerIgnore.Parse("**/*.log\n");

    /// <summary>ContextChecksum.Compute of <see cref="Populate"/> with <see cref="Sources"/> and <see cref="Ignore"/>, before the change.</summary>
    public const string Expected = "sha256:9921d91b3ea60eb36d5dc4738daaea901c48ef60fb69fa6d8565de3ff615f6cb";
}
