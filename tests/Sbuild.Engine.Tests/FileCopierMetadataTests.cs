using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Engine.Tests;

/// <summary>What COPY keeps and what it resets: modes and times are kept, ownership is 0:0 unless told otherwise.</summary>
public sealed class FileCopierMetadataTests : IDisposable
{
    private const uint SourceUid = 1234, SourceGid = 2345;

    private readonly CopyFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static int Octal(string mode) => Convert.ToInt32(mode, 8);

    /// <summary>A directory tree whose every entry is owned by 1234:2345.</summary>
    private void OwnedSourceTree() =>
        _f.Source
            .Dir("/dir", Modes.Octal("0750"), SourceUid, SourceGid)
            .File("/dir/file", "f", Modes.Octal("0640"), SourceUid, SourceGid)
            .Dir("/dir/sub", Modes.Octal("0700"), SourceUid, SourceGid)
            .File("/dir/sub/deep", "d", Modes.Octal("0644"), SourceUid, SourceGid)
            .Symlink("/dir/link", "file", SourceUid, SourceGid);

    private static readonly string[] TreePaths = ["/out/file", "/out/sub", "/out/sub/deep", "/out/link"];

    /// <summary>
    /// The copied entries are owned by uid:gid; /out, which the copy made, by the --chown owner or root: BuildKit copies a
    /// directory's contents into a plain mkdir -p, not the directory itself.
    /// </summary>
    private void AssertOwners(uint uid, uint gid, uint createdUid = 0, uint createdGid = 0)
    {
        foreach (var path in TreePaths)
        {
            var st = _f.StatDest(path);
            Assert.True((st.Uid, st.Gid) == (uid, gid), $"{path} is owned by {st.Uid}:{st.Gid}, expected {uid}:{gid}");
        }
        var made = _f.StatDest("/out");
        Assert.Equal((createdUid, createdGid, Octal("0755")), (made.Uid, made.Gid, made.Permissions));
    }

    [Fact]
    public void Modes_are_kept_including_setuid_setgid_and_sticky()
    {
        _f.Source
            .File("/dir/secret", "s", Modes.Octal("0600"))
            .File("/dir/suid", "s", Modes.Octal("4755"), SourceUid, SourceGid)
            .File("/dir/sgid", "s", Modes.Octal("2711"), SourceUid, SourceGid)
            .Dir("/dir/tmp", Modes.Octal("1777"))
            .Dir("/dir/shared", Modes.Octal("2770"), SourceUid, SourceGid);

        _f.Copy("/out", "dir");

        // setuid/setgid must survive the chown to 0:0 (chown clears them, so the mode has to be set afterwards).
        Assert.Equal(Octal("0600"), _f.StatDest("/out/secret").Permissions);
        Assert.Equal(Octal("4755"), _f.StatDest("/out/suid").Permissions);
        Assert.Equal(Octal("2711"), _f.StatDest("/out/sgid").Permissions);
        Assert.Equal(Octal("1777"), _f.StatDest("/out/tmp").Permissions);
        Assert.Equal(Octal("2770"), _f.StatDest("/out/shared").Permissions);
    }

    [Fact]
    public void A_single_setuid_file_keeps_its_mode_when_copied_by_name()
    {
        _f.Source.File("/tool", "t", Modes.Octal("4755"), SourceUid, SourceGid);

        _f.Copy("/usr/bin/tool", "tool");

        var st = _f.StatDest("/usr/bin/tool");
        Assert.Equal((Octal("4755"), 0u, 0u), (st.Permissions, st.Uid, st.Gid));
    }

    [Fact]
    public void Ownership_is_root_by_default_whatever_the_source_owner()
    {
        OwnedSourceTree();

        _f.Copy("/out", "dir");

        AssertOwners(0, 0);
    }

    [Fact]
    public void PreserveOwnership_keeps_the_source_owners()
    {
        OwnedSourceTree();

        _f.Copy(new CopyOwnership(null, null, null, PreserveOwnership: true), "/out", "dir");

        AssertOwners(SourceUid, SourceGid);
    }

    [Fact]
    public void Uid_and_gid_force_the_owner_of_everything_copied()
    {
        OwnedSourceTree();

        _f.Copy(new CopyOwnership(1000, 1001, null, PreserveOwnership: false), "/out", "dir");

        AssertOwners(1000, 1001, 1000, 1001);
    }

    [Fact]
    public void Forced_uid_and_gid_win_over_PreserveOwnership()
    {
        OwnedSourceTree();

        _f.Copy(new CopyOwnership(1000, 1001, null, PreserveOwnership: true), "/out", "dir");

        AssertOwners(1000, 1001, 1000, 1001);
    }

    [Fact]
    public void Mode_is_applied_to_copied_files_and_directories_but_not_to_created_ones()
    {
        OwnedSourceTree();

        _f.Copy(new CopyOwnership(null, null, Mode: ChmodSpec.Parse("0751"), PreserveOwnership: false), "/parent/out", "dir");

        // Current BuildKit gives created directories the --chmod mode too (moby/buildkit#5943, docs/parity.md).
        Assert.Equal(Octal("0755"), _f.StatDest("/parent/out").Permissions);
        foreach (var path in new[] { "/parent/out/file", "/parent/out/sub", "/parent/out/sub/deep" })
            Assert.True(_f.StatDest(path).Permissions == Octal("0751"), $"{path} has mode {Convert.ToString(_f.StatDest(path).Permissions, 8)}");
        Assert.Equal(FileKind.Symlink, _f.StatDest("/parent/out/link").Kind);
        Assert.Equal(Octal("0755"), _f.StatDest("/parent").Permissions);
    }

    [Fact]
    public void Mode_is_applied_to_a_single_file()
    {
        _f.Source.File("/script.sh", "#!/bin/sh\n", Modes.Octal("0644"));

        _f.Copy(new CopyOwnership(null, null, Mode: ChmodSpec.Parse("0700"), PreserveOwnership: false), "/bin/", "script.sh");

        Assert.Equal(Octal("0700"), _f.StatDest("/bin/script.sh").Permissions);
    }

    [Fact]
    public void Modification_times_of_copied_files_and_directories_are_kept()
    {
        _f.Source.File("/dir/sub/file", "x").File("/single", "y");
        var fileTime = new DateTime(2017, 7, 14, 2, 40, 0, DateTimeKind.Utc).AddTicks(1234567);
        var dirTime = new DateTime(2001, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(7654321);
        File.SetLastWriteTimeUtc(_f.Source.HostPath("/dir/sub/file"), fileTime);
        File.SetLastWriteTimeUtc(_f.Source.HostPath("/single"), fileTime);
        Directory.SetLastWriteTimeUtc(_f.Source.HostPath("/dir/sub"), dirTime); // after its contents exist

        _f.Copy("/out", "dir");
        _f.Copy("/one", "single");

        Assert.Equal(fileTime, File.GetLastWriteTimeUtc(_f.Dest.HostPath("/out/sub/file")));
        Assert.Equal(fileTime, File.GetLastWriteTimeUtc(_f.Dest.HostPath("/one")));
        Assert.Equal(dirTime, Directory.GetLastWriteTimeUtc(_f.Dest.HostPath("/out/sub")));
    }
}
