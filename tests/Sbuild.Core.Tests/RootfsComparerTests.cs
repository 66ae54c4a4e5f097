using System.Security.Cryptography;
using System.Text;
using Sbuild.TestSupport;

namespace Sbuild.Core.Tests;

/// <summary>The rootfs comparer against hand-built trees (no docker): it must see every kind of difference, and only those.</summary>
public sealed class RootfsComparerTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly RootfsBuilder _expected;
    private readonly RootfsBuilder _actual;

    public RootfsComparerTests()
    {
        _expected = new RootfsBuilder(_dir.Combine("expected"));
        _actual = new RootfsBuilder(_dir.Combine("actual"));
        Directory.CreateDirectory(_expected.Root);
        Directory.CreateDirectory(_actual.Root);
        Populate(_expected);
        Populate(_actual);
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>One of every kind of entry, with unusual modes and owners.</summary>
    private static void Populate(RootfsBuilder b) => b
        .Dir("/etc")
        .File("/etc/passwd", "root:x:0:0::/root:/bin/sh\n")
        .File("/etc/shadow", "secret\n", Modes.Octal("0600"))
        .File("/usr/bin/tool", "#!/bin/sh\n", Modes.Octal("4755"))
        .Dir("/tmp", Modes.Octal("1777"))
        .Dir("/srv/shared", Modes.Octal("2775"), 1000, 1000)
        .File("/home/user/notes", "n", Modes.Octal("0640"), 1000, 1001)
        .Symlink("/bin", "usr/bin")
        .Symlink("/home/user/link", "/etc/passwd", 1000, 1001)
        .HardLink("/usr/bin/tool-alias", "/usr/bin/tool")
        .Fifo("/run/pipe", Modes.Octal("0620"))
        .Device("/dev/null", FileKind.CharDevice, 1, 3, Modes.Octal("0666"))
        .Device("/dev/loop0", FileKind.BlockDevice, 7, 0, Modes.Octal("0660"), 0, 6)
        .Dir("/empty");

    private IReadOnlyList<string> Compare(RootfsCompareOptions? options = null) =>
        RootfsComparer.Compare(_expected.Root, _actual.Root, options);

    private static string Sha(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));

    [Fact]
    public void Identical_trees_have_no_differences()
    {
        Assert.Empty(Compare());
    }

    [Fact]
    public void Scan_sees_the_metadata_it_was_given()
    {
        var entries = RootfsScanner.Scan(_expected.Root);
        var tool = entries["/usr/bin/tool"];
        Assert.Equal((FileKind.Regular, Convert.ToInt32("4755", 8), 10L, Sha("#!/bin/sh\n")), (tool.Kind, tool.Permissions, tool.Size, tool.Sha256));
        Assert.Equal(["/usr/bin/tool", "/usr/bin/tool-alias"], tool.HardLinks);
        Assert.Equal((FileKind.Directory, Convert.ToInt32("1777", 8)), (entries["/tmp"].Kind, entries["/tmp"].Permissions));
        Assert.Equal((Convert.ToInt32("2775", 8), 1000u, 1000u), (entries["/srv/shared"].Permissions, entries["/srv/shared"].Uid, entries["/srv/shared"].Gid));
        Assert.Equal((FileKind.Symlink, "usr/bin"), (entries["/bin"].Kind, entries["/bin"].LinkTarget));
        Assert.Equal((1000u, 1001u), (entries["/home/user/link"].Uid, entries["/home/user/link"].Gid));
        Assert.Equal(FileKind.Fifo, entries["/run/pipe"].Kind);
        Assert.Equal((FileKind.CharDevice, 1u, 3u), (entries["/dev/null"].Kind, entries["/dev/null"].RdevMajor, entries["/dev/null"].RdevMinor));
        Assert.Equal((FileKind.BlockDevice, 7u, 0u, 6u), (entries["/dev/loop0"].Kind, entries["/dev/loop0"].RdevMajor, entries["/dev/loop0"].RdevMinor, entries["/dev/loop0"].Gid));
        Assert.Empty(entries["/etc/passwd"].HardLinks);
        Assert.DoesNotContain("/", entries.Keys); // the root itself is not an entry
        Assert.DoesNotContain(entries.Keys, k => k.StartsWith("/bin/", StringComparison.Ordinal)); // symlinked dirs are not followed
    }

    [Fact]
    public void Missing_and_extra_entries_are_named_by_side()
    {
        _actual.Remove("/etc/shadow").File("/etc/extra", "x").Remove("/empty");
        Assert.Equal(
        [
            "only in buildkit: /empty",
            "only in sbuild: /etc/extra",
            "only in buildkit: /etc/shadow",
        ], Compare());
    }

    [Fact]
    public void Permission_bits_including_special_bits_are_compared()
    {
        _actual.Chmod("/etc/shadow", Modes.Octal("0644")).Chmod("/usr/bin/tool", Modes.Octal("0755")).Chmod("/tmp", Modes.Octal("0777"));
        Assert.Equal(
        [
            "/etc/shadow: mode 0600 (buildkit) vs 0644 (sbuild)",
            "/tmp: mode 01777 (buildkit) vs 0777 (sbuild)",
            "/usr/bin/tool: mode 04755 (buildkit) vs 0755 (sbuild)",
            "/usr/bin/tool-alias: mode 04755 (buildkit) vs 0755 (sbuild)", // the same inode as /usr/bin/tool
        ], Compare());
    }

    [Fact]
    public void Owners_are_compared_without_following_symlinks()
    {
        UnixFs.LChown(_actual.HostPath("/home/user/link"), 0, 0);
        UnixFs.LChown(_actual.HostPath("/etc/passwd"), 0, 42);
        Assert.Equal(
        [
            "/etc/passwd: owner 0:0 (buildkit) vs 0:42 (sbuild)",
            "/home/user/link: owner 1000:1001 (buildkit) vs 0:0 (sbuild)",
        ], Compare());
    }

    [Fact]
    public void Content_changes_show_as_sha256_and_size()
    {
        File.WriteAllText(_actual.HostPath("/etc/passwd"), "ROOT:x:0:0::/root:/bin/sh\n"); // same length
        File.WriteAllText(_actual.HostPath("/etc/shadow"), "longer secret\n");
        File.SetUnixFileMode(_actual.HostPath("/etc/shadow"), Modes.Octal("0600"));
        Assert.Equal(
        [
            $"/etc/passwd: sha256 {Sha("root:x:0:0::/root:/bin/sh\n")} (buildkit) vs {Sha("ROOT:x:0:0::/root:/bin/sh\n")} (sbuild)",
            "/etc/shadow: size 7 (buildkit) vs 14 (sbuild)",
            $"/etc/shadow: sha256 {Sha("secret\n")} (buildkit) vs {Sha("longer secret\n")} (sbuild)",
        ], Compare());
    }

    [Fact]
    public void Type_link_target_and_device_changes_are_reported()
    {
        _actual.Remove("/bin").Symlink("/bin", "/usr/bin")
            .Remove("/empty").File("/empty", "")
            .Remove("/dev/null").Device("/dev/null", FileKind.CharDevice, 1, 5, Modes.Octal("0666"))
            .Remove("/dev/loop0").Device("/dev/loop0", FileKind.CharDevice, 7, 0, Modes.Octal("0660"), 0, 6);
        Assert.Equal(
        [
            "/bin: link target usr/bin (buildkit) vs /usr/bin (sbuild)",
            "/dev/loop0: type BlockDevice (buildkit) vs CharDevice (sbuild)",
            "/dev/null: device 1,3 (buildkit) vs 1,5 (sbuild)",
            "/empty: type Directory (buildkit) vs Regular (sbuild)",
        ], Compare());
    }

    [Fact]
    public void A_broken_hard_link_is_reported_for_each_member()
    {
        // Same content and metadata, but two separate files instead of one file with two names.
        _actual.Remove("/usr/bin/tool-alias").File("/usr/bin/tool-alias", "#!/bin/sh\n", Modes.Octal("4755"));
        Assert.Equal(
        [
            "/usr/bin/tool: hard links [/usr/bin/tool, /usr/bin/tool-alias] (buildkit) vs none (sbuild)",
            "/usr/bin/tool-alias: hard links [/usr/bin/tool, /usr/bin/tool-alias] (buildkit) vs none (sbuild)",
        ], Compare());
    }

    [Fact]
    public void Ignored_paths_take_their_subtrees_and_names_are_configurable()
    {
        _actual.Remove("/etc/shadow").File("/home/user/new", "x").Remove("/run/pipe");
        var options = new RootfsCompareOptions { IgnorePaths = ["/home", "etc/shadow/"], ExpectedName = "left", ActualName = "right" };
        Assert.Equal(["only in left: /run/pipe"], Compare(options));
    }

    [Fact]
    public void Mtimes_are_compared_only_when_asked_and_only_where_one_side_is_old()
    {
        var old = new UnixTime(1_000_000_000, 0);
        var threshold = new UnixTime(1_500_000_000, 0);
        var recent = new UnixTime(1_600_000_000, 0);
        foreach (var root in new[] { _expected, _actual })
            foreach (var path in Directory.EnumerateFileSystemEntries(root.Root, "*", SearchOption.AllDirectories))
                UnixFs.SetTimes(path, old);
        UnixFs.SetTimes(_actual.HostPath("/etc/passwd"), old with { Nanoseconds = 1 }); // both old: compared to the nanosecond
        UnixFs.SetTimes(_actual.HostPath("/home/user/link"), recent);                   // old vs new: compared (the link itself)
        UnixFs.SetTimes(_expected.HostPath("/empty"), recent);                          // new vs old: compared
        UnixFs.SetTimes(_expected.HostPath("/etc/shadow"), recent);
        UnixFs.SetTimes(_actual.HostPath("/etc/shadow"), recent with { Seconds = recent.Seconds + 5 }); // both new: not compared

        Assert.Empty(Compare());
        Assert.Equal(
        [
            "/empty: mtime 2020-09-13T12:26:40Z (buildkit) vs 2001-09-09T01:46:40Z (sbuild)",
            "/etc/passwd: mtime 2001-09-09T01:46:40Z (buildkit) vs 2001-09-09T01:46:40.000000001Z (sbuild)",
            "/home/user/link: mtime 2001-09-09T01:46:40Z (buildkit) vs 2020-09-13T12:26:40Z (sbuild)",
        ], Compare(new RootfsCompareOptions { CompareMtimesOlderThan = threshold }));
    }
}
