using Sbuild.Core;
namespace Sbuild.Runner.Tests;

/// <summary>Stub bookkeeping without a runtime: the test plays the runtime's part by creating the empty targets.</summary>
public sealed class MountStubsTests : IDisposable
{
    private readonly string _rootfs = Directory.CreateTempSubdirectory("sbuild-stubs-").FullName;

    public void Dispose() => Directory.Delete(_rootfs, recursive: true);

    private string At(string containerPath) => Path.Join(_rootfs, containerPath);

    private void CreateLikeRuntime(params string[] files)
    {
        foreach (var file in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(At(file))!);
            File.WriteAllBytes(At(file), []);
        }
    }

    [Fact]
    public void Removes_created_files_and_the_parent_dirs_that_did_not_exist()
    {
        var stubs = MountStubs.Record(_rootfs, ["/etc/hosts", "/etc/resolv.conf", "/run/secrets/token"]);
        CreateLikeRuntime("/etc/hosts", "/etc/resolv.conf", "/run/secrets/token");

        stubs.Remove();

        Assert.Empty(Directory.EnumerateFileSystemEntries(_rootfs));
    }

    [Fact]
    public void Keeps_what_the_run_put_in_a_created_dir_and_files_that_got_content()
    {
        var stubs = MountStubs.Record(_rootfs, ["/etc/hosts", "/etc/resolv.conf"]);
        CreateLikeRuntime("/etc/hosts", "/etc/resolv.conf", "/etc/motd");
        File.WriteAllText(At("/etc/resolv.conf"), "nameserver 1.1.1.1\n");

        stubs.Remove();

        Assert.Equal(["motd", "resolv.conf"], Directory.EnumerateFileSystemEntries(At("/etc")).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Leaves_existing_files_alone_and_restores_the_parents_timestamp()
    {
        Directory.CreateDirectory(At("/etc"));
        File.WriteAllText(At("/etc/resolv.conf"), "");
        var stubs = MountStubs.Record(_rootfs, ["/etc/hosts", "/etc/resolv.conf"]);
        CreateLikeRuntime("/etc/hosts");
        var modified = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        Directory.SetLastWriteTimeUtc(At("/etc"), modified);

        stubs.Remove();

        Assert.Equal(["resolv.conf"], Directory.EnumerateFileSystemEntries(At("/etc")).Select(Path.GetFileName));
        Assert.Equal(modified, Directory.GetLastWriteTimeUtc(At("/etc")));
    }

    [Fact]
    public void Follows_symlinks_inside_the_rootfs_like_the_runtime_does()
    {
        // /etc -> /private/etc (absolute target: must resolve inside the rootfs, not on the host).
        Directory.CreateDirectory(At("/private"));
        File.CreateSymbolicLink(At("/etc"), "/private/etc");
        var stubs = MountStubs.Record(_rootfs, ["/etc/hosts"]);

        Assert.Equal([At("/private/etc/hosts"), At("/private/etc")], stubs.Candidates);
        CreateLikeRuntime("/private/etc/hosts");
        stubs.Remove();
        Assert.Empty(Directory.EnumerateFileSystemEntries(At("/private")));
    }

    [Fact]
    public void Nothing_is_recorded_when_every_target_exists()
    {
        CreateLikeRuntime("/etc/hosts");

        Assert.Empty(MountStubs.Record(_rootfs, ["/etc/hosts", "/etc"]).Candidates);
    }
}

public sealed class RootPathForMountsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sbuild-inroot-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Absolute_and_dot_dot_links_stay_inside_the_root()
    {
        Directory.CreateDirectory(Path.Join(_root, "usr/lib"));
        File.CreateSymbolicLink(Path.Join(_root, "lib"), "/usr/lib");
        File.CreateSymbolicLink(Path.Join(_root, "escape"), "../../../../tmp");

        Assert.Equal(Path.Join(_root, "usr/lib/x.so"), RootPath.Resolve(_root, "/lib/x.so", followFinal: true));
        Assert.Equal(Path.Join(_root, "tmp/f"), RootPath.Resolve(_root, "/escape/f", followFinal: true));
        Assert.Equal(Path.Join(_root, "a/c"), RootPath.Resolve(_root, "/a/./b/../c", followFinal: true));
    }

    [Fact]
    public void A_symlink_loop_is_an_error_not_a_hang()
    {
        File.CreateSymbolicLink(Path.Join(_root, "loop"), "/loop");

        Assert.Throws<SbuildException>(() => RootPath.Resolve(_root, "/loop/x", followFinal: true));
    }
}
