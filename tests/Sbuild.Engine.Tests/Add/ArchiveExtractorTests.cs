using System.Formats.Tar;
using Sbuild.Archive.Compression;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Engine.Tests.Add;

/// <summary>What ADD makes of an archive's entries: types, modes, owners, times, links, and how it meets existing files.</summary>
public sealed class ArchiveExtractorTests : IDisposable
{
    private readonly AddFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static int Octal(string mode) => Convert.ToInt32(mode, 8);

    private static readonly DateTimeOffset DirTime = new(2019, 5, 6, 7, 8, 9, TimeSpan.Zero);
    private static readonly DateTimeOffset FileTime = new(2018, 1, 1, 0, 0, 1, TimeSpan.Zero);
    private static readonly DateTimeOffset LinkTime = new(2017, 2, 3, 4, 5, 6, TimeSpan.Zero);

    private TarBuilder MixedTree() => new TarBuilder()
        .Dir("app/", "0750", uid: 1000, gid: 1001, mtime: DirTime)
        .File("app/run.sh", "#!/bin/sh\necho hi\n", "0755", uid: 1000, gid: 1001, mtime: FileTime)
        .File("app/suid", "s", "4755", uid: 1234, gid: 2345)
        .File("app/sgid", "s", "2711", uid: 1234, gid: 2345)
        .Dir("app/tmp/", "1777")
        .Symlink("app/link", "run.sh", uid: 1000, gid: 1001, mtime: LinkTime)
        .Fifo("app/pipe", "0640")
        .Device("app/null", TarEntryType.CharacterDevice, 1, 3, "0666")
        .Device("app/loop9", TarEntryType.BlockDevice, 7, 9, "0660")
        .File("app/implied/deep/file", "deep", "0600", uid: 7, gid: 8);

    [Fact]
    public async Task Entries_keep_their_type_mode_owner_and_time()
    {
        await _f.ExtractAsync(MixedTree().WriteTo(_f.WorkFile("mixed.tar")), "/opt");

        var dir = _f.Stat("/opt/app");
        Assert.Equal((FileKind.Directory, Octal("0750"), 1000u, 1001u), (dir.Kind, dir.Permissions, dir.Uid, dir.Gid));
        // Set after its children were created, so creating them did not move it.
        Assert.Equal((DirTime.ToUnixTimeSeconds(), 0L), _f.MTime("/opt/app"));

        var script = _f.Stat("/opt/app/run.sh");
        Assert.Equal((FileKind.Regular, Octal("0755"), 1000u, 1001u), (script.Kind, script.Permissions, script.Uid, script.Gid));
        Assert.Equal("#!/bin/sh\necho hi\n", _f.Read("/opt/app/run.sh"));
        Assert.Equal((FileTime.ToUnixTimeSeconds(), 0L), _f.MTime("/opt/app/run.sh"));

        // setuid/setgid survive the chown (chown clears them, so the mode must be applied after it).
        Assert.Equal((Octal("4755"), 1234u, 2345u), (_f.Stat("/opt/app/suid").Permissions, _f.Stat("/opt/app/suid").Uid, _f.Stat("/opt/app/suid").Gid));
        Assert.Equal(Octal("2711"), _f.Stat("/opt/app/sgid").Permissions);
        Assert.Equal(Octal("1777"), _f.Stat("/opt/app/tmp").Permissions);

        var link = _f.Stat("/opt/app/link");
        Assert.Equal((FileKind.Symlink, 1000u, 1001u), (link.Kind, link.Uid, link.Gid));
        Assert.Equal("run.sh", new FileInfo(_f.Rootfs.HostPath("/opt/app/link")).LinkTarget);
        Assert.Equal((LinkTime.ToUnixTimeSeconds(), 0L), _f.MTime("/opt/app/link"));

        Assert.Equal((FileKind.Fifo, Octal("0640")), (_f.Stat("/opt/app/pipe").Kind, _f.Stat("/opt/app/pipe").Permissions));
        var nullDev = _f.Stat("/opt/app/null");
        Assert.Equal((FileKind.CharDevice, 1u, 3u, Octal("0666")), (nullDev.Kind, nullDev.RdevMajor, nullDev.RdevMinor, nullDev.Permissions));
        var loop = _f.Stat("/opt/app/loop9");
        Assert.Equal((FileKind.BlockDevice, 7u, 9u, Octal("0660")), (loop.Kind, loop.RdevMajor, loop.RdevMinor, loop.Permissions));

        // Parents the archive does not list are 0755 and root-owned; the file keeps its own owner.
        foreach (var implied in new[] { "/opt/app/implied", "/opt/app/implied/deep" })
            Assert.Equal((FileKind.Directory, Octal("0755"), 0u, 0u), (_f.Stat(implied).Kind, _f.Stat(implied).Permissions, _f.Stat(implied).Uid, _f.Stat(implied).Gid));
        Assert.Equal((Octal("0600"), 7u, 8u), (_f.Stat("/opt/app/implied/deep/file").Permissions, _f.Stat("/opt/app/implied/deep/file").Uid, _f.Stat("/opt/app/implied/deep/file").Gid));

        // The destination did not exist: mkdir -p made it 0755, root-owned.
        Assert.Equal((FileKind.Directory, Octal("0755"), 0u, 0u), (_f.Stat("/opt").Kind, _f.Stat("/opt").Permissions, _f.Stat("/opt").Uid, _f.Stat("/opt").Gid));
    }

    [Fact]
    public async Task Sub_second_modification_times_are_kept()
    {
        var time = TarBuilder.DefaultTime.AddMilliseconds(250);
        var archive = new TarBuilder(TarEntryFormat.Pax).File("f", "x", mtime: time).WriteTo(_f.WorkFile("t.tar"));

        await _f.ExtractAsync(archive, "/");

        Assert.Equal((TarBuilder.DefaultTime.ToUnixTimeSeconds(), 250_000_000L), _f.MTime("/f"));
    }

    [Fact]
    public async Task Nanosecond_modification_times_are_kept_exactly()
    {
        // GNU tar's posix format records "mtime=1577934245.123456789"; Go (BuildKit) keeps all nine digits, where the
        // System.Formats.Tar reader ADD used before rounded to 100 ns.
        var source = Directory.CreateDirectory(_f.WorkFile("src")).FullName;
        File.WriteAllText(Path.Combine(source, "f"), "x");
        Posix.SetTimes(Path.Combine(source, "f"), 1_577_934_245, 123_456_789);
        var archive = _f.WorkFile("posix.tar");
        await ProcessRunner.RunAsync(Tools.Tar, ["--format=posix", "-C", source, "-cf", archive, "f"], CancellationToken.None);

        await _f.ExtractAsync(archive, "/");

        Assert.Equal((1_577_934_245L, 123_456_789L), _f.MTime("/f"));
    }

    [Fact]
    public async Task Times_before_the_epoch_become_the_epoch()
    {
        // GNU tar stores a 1960 mtime as a negative base-256 number, which the layer reader used to refuse.
        var source = Directory.CreateDirectory(_f.WorkFile("src")).FullName;
        File.WriteAllText(Path.Combine(source, "old"), "x");
        Posix.SetTimes(Path.Combine(source, "old"), -315_619_200, 0); // 1960-01-01
        var archive = _f.WorkFile("gnu.tar");
        await ProcessRunner.RunAsync(Tools.Tar, ["--format=gnu", "-C", source, "-cf", archive, "old"], CancellationToken.None);

        await _f.ExtractAsync(archive, "/");

        Assert.Equal("x", _f.Read("/old"));
        Assert.Equal((0L, 0L), _f.MTime("/old"));
    }

    [Fact]
    public async Task A_v7_regular_file_entry_named_with_a_slash_is_a_directory()
    {
        // Pre-POSIX tars mark directories with a trailing '/' on a NUL-typed entry; Go's archive/tar (so BuildKit) makes
        // them directories, where ADD used to create a file "d" and then fail on "d/x".
        var archive = new TarBuilder(TarEntryFormat.V7).File("d/", "", "0750").File("d/x", "x").WriteTo(_f.WorkFile("v7.tar"));

        await _f.ExtractAsync(archive, "/dst");

        Assert.Equal((FileKind.Directory, Octal("0750")), (_f.Stat("/dst/d").Kind, _f.Stat("/dst/d").Permissions));
        Assert.Equal("x", _f.Read("/dst/d/x"));
    }

    [Fact]
    public async Task Hard_links_share_the_inode_of_the_earlier_entry()
    {
        var archive = new TarBuilder()
            .File("bin/tool", "binary", "0755", uid: 3, gid: 4)
            .HardLink("bin/alias", "bin/tool", "0755", uid: 3, gid: 4)
            .HardLink("other/dir/alias2", "bin/tool", "0755", uid: 3, gid: 4)
            .WriteTo(_f.WorkFile("links.tar"));

        await _f.ExtractAsync(archive, "/usr");

        var tool = _f.Stat("/usr/bin/tool");
        Assert.Equal(3u, tool.LinkCount);
        Assert.Equal(tool.Inode, _f.Stat("/usr/bin/alias").Inode);
        Assert.Equal(tool.Inode, _f.Stat("/usr/other/dir/alias2").Inode);
        Assert.Equal("binary", _f.Read("/usr/other/dir/alias2"));
    }

    [Fact]
    public async Task Chown_replaces_archive_owners_but_chmod_does_not_apply_to_unpacked_content()
    {
        var archive = MixedTree().WriteTo(_f.WorkFile("mixed.tar"));

        await _f.ExtractAsync(archive, "/srv/new", new CopyOwnership(Uid: 501, Gid: 502, Mode: ChmodSpec.Parse("0700"), PreserveOwnership: false));

        foreach (var path in new[] { "/srv/new/app", "/srv/new/app/run.sh", "/srv/new/app/suid", "/srv/new/app/link", "/srv/new/app/pipe", "/srv/new/app/implied/deep/file" })
        {
            var st = _f.Stat(path);
            Assert.True((st.Uid, st.Gid) == (501u, 502u), $"{path} is owned by {st.Uid}:{st.Gid}, expected the --chown ids 501:502");
        }
        Assert.Equal(Octal("0755"), _f.Stat("/srv/new/app/run.sh").Permissions);
        Assert.Equal(Octal("4755"), _f.Stat("/srv/new/app/suid").Permissions);
        // Directories mkdir -p makes for the destination belong to the --chown user (BuildKit's MkdirAll with the chowner) ...
        Assert.Equal((501u, 502u), (_f.Stat("/srv/new").Uid, _f.Stat("/srv/new").Gid));
        // ... while parents implied by entries are root's, as in BuildKit and Docker.
        Assert.Equal((0u, 0u), (_f.Stat("/srv/new/app/implied").Uid, _f.Stat("/srv/new/app/implied").Gid));
    }

    [Fact]
    public async Task Existing_files_are_replaced_and_existing_directories_merged()
    {
        _f.Rootfs
            .File("/dst/keep.txt", "kept")
            .File("/dst/dir/old.txt", "old")
            .File("/dst/file", "old content")
            .File("/dst/wasdir/child", "c")
            .File("/dst/becomesdir", "a file");
        var archive = new TarBuilder()
            .File("file", "new content", "0640")
            .Dir("dir/", "0711", uid: 9, gid: 9)
            .File("dir/new.txt", "new")
            .File("wasdir", "now a file")
            .Dir("becomesdir/", "0750")
            .WriteTo(_f.WorkFile("over.tar"));

        await _f.ExtractAsync(archive, "/dst/");

        Assert.Equal("kept", _f.Read("/dst/keep.txt"));
        Assert.Equal("new content", _f.Read("/dst/file"));
        Assert.Equal(Octal("0640"), _f.Stat("/dst/file").Permissions);
        Assert.Equal(["new.txt", "old.txt"], Directory.EnumerateFileSystemEntries(_f.Rootfs.HostPath("/dst/dir")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // The merged directory takes the archive's metadata.
        Assert.Equal((Octal("0711"), 9u), (_f.Stat("/dst/dir").Permissions, _f.Stat("/dst/dir").Uid));
        Assert.Equal((FileKind.Regular, "now a file"), (_f.Stat("/dst/wasdir").Kind, _f.Read("/dst/wasdir")));
        Assert.Equal((FileKind.Directory, Octal("0750")), (_f.Stat("/dst/becomesdir").Kind, _f.Stat("/dst/becomesdir").Permissions));
    }

    [Theory]
    [MemberData(nameof(CompressTool.Formats), MemberType = typeof(CompressTool))]
    public async Task Compressed_archives_unpack_to_the_same_tree(ArchiveCompression compression)
    {
        var tar = MixedTree().WriteTo(_f.WorkFile("mixed.tar"));
        var compressed = await CompressTool.CompressAsync(compression, tar);

        await _f.ExtractAsync(compressed, "/opt");

        Assert.Equal("#!/bin/sh\necho hi\n", _f.Read("/opt/app/run.sh"));
        Assert.Equal((Octal("4755"), 1234u), (_f.Stat("/opt/app/suid").Permissions, _f.Stat("/opt/app/suid").Uid));
        Assert.Equal("run.sh", new FileInfo(_f.Rootfs.HostPath("/opt/app/link")).LinkTarget);
        Assert.Equal("deep", _f.Read("/opt/app/implied/deep/file"));
        Assert.Equal((DirTime.ToUnixTimeSeconds(), 0L), _f.MTime("/opt/app"));
    }

    [Fact]
    public async Task A_gzip_tar_made_by_gnu_tar_unpacks_with_its_root_entry_ignored()
    {
        var source = Directory.CreateDirectory(_f.WorkFile("src")).FullName;
        File.WriteAllText(Path.Combine(source, "hello.txt"), "hello");
        Directory.CreateDirectory(Path.Combine(source, "sub"));
        File.WriteAllText(Path.Combine(source, "sub", "x"), "x");
        var archive = _f.WorkFile("gnu.tar.gz");
        await ProcessRunner.RunAsync(Tools.Tar, ["-C", source, "-czf", archive, "."], CancellationToken.None);
        _f.Rootfs.Dir("/target", Modes.Octal("0700"), uid: 42, gid: 42);

        await _f.ExtractAsync(archive, "/target");

        Assert.Equal("hello", _f.Read("/target/hello.txt"));
        Assert.Equal("x", _f.Read("/target/sub/x"));
        // "./" names the destination itself, which keeps its own mode and owner (BuildKit skips that entry).
        Assert.Equal((Octal("0700"), 42u), (_f.Stat("/target").Permissions, _f.Stat("/target").Uid));
    }

    [Fact]
    public async Task A_directory_entry_merges_into_a_directory_symlink_already_in_the_rootfs()
    {
        // merged-/usr layout: /lib is a symlink to usr/lib; unpacking lib/ must not replace it by a directory.
        _f.Rootfs.Dir("/usr/lib").Symlink("/lib", "usr/lib");
        var archive = new TarBuilder().Dir("lib/").File("lib/libx.so", "elf").WriteTo(_f.WorkFile("lib.tar"));

        await _f.ExtractAsync(archive, "/");

        Assert.Equal(FileKind.Symlink, _f.Stat("/lib").Kind);
        Assert.Equal("elf", _f.Read("/usr/lib/libx.so"));
    }

    [Fact]
    public async Task A_destination_that_is_a_file_is_an_error()
    {
        _f.Rootfs.File("/etc/conf", "x");
        var archive = new TarBuilder().File("a", "a").WriteTo(_f.WorkFile("a.tar"));

        var e = await Assert.ThrowsAsync<SbuildException>(() => _f.ExtractAsync(archive, "/etc/conf"));

        Assert.Contains("/etc/conf", e.Message);
        Assert.Equal("x", _f.Read("/etc/conf"));
    }

    [Fact]
    public async Task A_compressed_file_that_is_not_a_tar_fails_with_invalid_archive()
    {
        var text = _f.WorkFile("notes.txt");
        await File.WriteAllTextAsync(text, string.Concat(Enumerable.Repeat("just some text\n", 100)));
        var gz = await CompressTool.CompressAsync(ArchiveCompression.Gzip, text);

        var e = await Assert.ThrowsAsync<SbuildException>(() => _f.ExtractAsync(gz, "/x"));

        Assert.Equal(ErrorCode.InvalidArchive, e.Code);
        Assert.Contains("notes.txt.gz", e.Message);
    }

    [Fact]
    public async Task An_unsupported_entry_type_fails_before_touching_what_is_at_its_name()
    {
        _f.Rootfs.File("/dst/victim.txt", "kept");
        var tar = new TarBuilder(TarEntryFormat.Ustar).File("victim.txt", "new").WriteTo(_f.WorkFile("odd.tar"));
        var bytes = await File.ReadAllBytesAsync(tar);
        bytes[156] = (byte)'V'; // typeflag: GNU tape volume header
        TarChecksums.Rewrite(bytes.AsSpan(0, 512));
        await File.WriteAllBytesAsync(tar, bytes);

        var e = await Assert.ThrowsAsync<SbuildException>(() => _f.ExtractAsync(tar, "/dst"));

        Assert.Equal(ErrorCode.InvalidArchive, e.Code);
        Assert.Contains("victim.txt", e.Message);
        Assert.Equal("kept", _f.Read("/dst/victim.txt"));
    }
}
