using System.Text;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// Files that stress a layer's tar round trip through an exported OCI archive, checked with tools that are not sbuild:
/// umoci unpacks the image (names over 100 and 255 bytes, hard links, a sparse file, user xattrs), GNU tar lists a layer
/// holding a file over 8 GiB (a sparse one, so the test needs no disk for it; sbuild must stream it, never buffer it).
/// The first archive also goes back through <c>sbuild load</c> and <c>-o type=local</c>, which must unpack the same files.
/// </summary>
public sealed class OddFilesExportTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    [Fact]
    public async Task Long_names_hard_links_sparse_files_and_xattrs_survive_an_oci_export()
    {
        using var context = new TempDirectory("sbuild-odd-");
        // A base holding a file with a user xattr (made by GNU tar --xattrs, imported), which a RUN moves: the new
        // layer must carry the xattr the moved file keeps.
        var tree = context.Combine("base");
        Directory.CreateDirectory(tree);
        await ProcessRunner.RunAsync(Tools.Tar, ["-xf", sbuild.BusyboxTar, "-C", tree], CancellationToken.None);
        File.WriteAllText(Path.Combine(tree, "noted.txt"), "noted\n");
        Sbuild.Snapshotter.Xattrs.Set(Path.Combine(tree, "noted.txt"), "user.note", "kept"u8);
        var baseTar = context.Combine("base.tar");
        await ProcessRunner.RunAsync(Tools.Tar, ["--xattrs", "--xattrs-include=user.*", "--numeric-owner", "--format=pax", "-C", tree, "-cf", baseTar, "."], CancellationToken.None);
        await sbuild.RunAsync(["image", "import", baseTar, "xattr-base:1"], epoch: 0);
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM xattr-base:1
            RUN mkdir /odd && mv /noted.txt /odd/ && cd /odd && L=$(printf 'l%.0s' $(seq 1 150)) && echo long > "$L" \
             && D=$(printf 'd%.0s' $(seq 1 200)) && mkdir "$D" && echo deeper > "$D/$L" \
             && echo linked > h1 && ln h1 h2 \
             && dd if=/dev/zero of=sparse bs=1 count=1 seek=64M 2>/dev/null
            """);
        var archive = context.Combine("odd.tar");
        await sbuild.RunAsync(["-o", $"type=oci,dest={archive}", "-t", "odd:1", context.Path], epoch: 0);

        using var image = await OciImage.ReadArchiveAsync(archive, CancellationToken.None);
        var odd = Path.Combine(image.RootfsDir, "odd");
        var longName = new string('l', 150);
        var deepPath = Path.Combine(new string('d', 200), longName); // 351 bytes: beyond ustar's 100 + 155
        Assert.Equal("long\n", File.ReadAllText(Path.Combine(odd, longName)));
        Assert.Equal("deeper\n", File.ReadAllText(Path.Combine(odd, deepPath)));
        Assert.Equal(UnixFs.LStat(Path.Combine(odd, "h1")).Inode, UnixFs.LStat(Path.Combine(odd, "h2")).Inode);
        Assert.Equal((64L << 20) + 1, new FileInfo(Path.Combine(odd, "sparse")).Length);
        Assert.Equal("kept", Encoding.UTF8.GetString(Sbuild.Snapshotter.Xattrs.Get(Path.Combine(odd, "noted.txt"), "user.note")!));

        // The round trip back: the archive loaded into another store and unpacked again by sbuild (-o type=local).
        var store = context.Combine("other-store");
        Assert.Equal("Loaded image: odd:1\n", (await sbuild.RunAsync(["load", "-i", archive], storeRoot: store)).StandardOutput);
        var again = context.Combine("again");
        Directory.CreateDirectory(again);
        File.WriteAllText(Path.Combine(again, "Dockerfile"), "FROM odd:1\n");
        await sbuild.RunAsync(["-o", $"type=local,dest={context.Combine("out")}", again], storeRoot: store);
        odd = Path.Combine(context.Combine("out"), "odd");
        Assert.Equal("long\n", File.ReadAllText(Path.Combine(odd, longName)));
        Assert.Equal("deeper\n", File.ReadAllText(Path.Combine(odd, deepPath)));
        Assert.Equal(UnixFs.LStat(Path.Combine(odd, "h1")).Inode, UnixFs.LStat(Path.Combine(odd, "h2")).Inode);
        Assert.Equal((64L << 20) + 1, new FileInfo(Path.Combine(odd, "sparse")).Length);
        Assert.Equal("kept", Encoding.UTF8.GetString(Sbuild.Snapshotter.Xattrs.Get(Path.Combine(odd, "noted.txt"), "user.note")!));
    }

    [Fact]
    public async Task A_file_over_8_GiB_streams_into_the_layer_with_its_full_size()
    {
        using var context = new TempDirectory("sbuild-huge-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN dd if=/dev/zero of=/huge bs=1 count=1 seek=9G 2>/dev/null\n");
        var archive = context.Combine("huge.tar");
        await sbuild.RunAsync(["-o", $"type=oci,dest={archive}", context.Path], epoch: 0);

        var layout = context.Combine("layout");
        Directory.CreateDirectory(layout);
        await ProcessRunner.RunAsync(Tools.Tar, ["-xf", archive, "-C", layout], CancellationToken.None);
        var index = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(layout, "index.json")))!;
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(layout, "blobs", "sha256", index["manifests"]![0]!["digest"]!.GetValue<string>()[7..])))!;
        var layer = Path.Combine(layout, "blobs", "sha256", manifest["layers"]!.AsArray()[^1]!["digest"]!.GetValue<string>()[7..]);
        var listing = await ProcessRunner.RunAsync(Tools.Tar, ["-tvzf", layer], new ProcessRunOptions { Timeout = TimeSpan.FromMinutes(10) }, CancellationToken.None);
        Assert.Contains(listing.StandardOutput.Split('\n'), line => line.EndsWith(" huge") && line.Contains(" 9663676417 "));
    }

    /// <summary>
    /// A name that is not valid UTF-8 (bytes 0xff 0xfe, made with printf since .NET cannot name such a file) in a rootfs
    /// tar made by GNU tar: imported, saved and loaded into another store, the layer still lists the same bytes, and
    /// unpacked for <c>-o type=local</c> the file has them too (see <see cref="NonUtf8NameTests"/> for builds).
    /// </summary>
    [Fact]
    public async Task A_name_that_is_not_utf8_keeps_its_bytes_through_import_save_load_and_a_local_export()
    {
        using var work = new TempDirectory("sbuild-nonutf8-");
        var context = work.Combine("context");
        Directory.CreateDirectory(context);
        await ProcessRunner.RunAsync("bash", ["-c", "printf odd > \"$1/$(printf 'a\\377\\376b')\"", "-", context], CancellationToken.None);

        // GNU tar's escape quoting shows the bytes as \377\376.
        var rootfs = work.Combine("rootfs.tar");
        await ProcessRunner.RunAsync(Tools.Tar, ["--format=pax", "-C", context, "-cf", rootfs, "."], CancellationToken.None);
        await sbuild.RunAsync(["image", "import", rootfs, "nonutf8:1"], epoch: 0);
        var saved = work.Combine("saved.tar");
        await sbuild.RunAsync(["save", "-o", saved, "nonutf8:1"]);
        var other = work.Combine("other-store");
        Assert.Equal("Loaded image: nonutf8:1\n", (await sbuild.RunAsync(["load", "-i", saved], storeRoot: other)).StandardOutput);
        var otherStore = new Sbuild.Core.ImageStore(other);
        var layer = otherStore.ReadManifest(otherStore.Entries().Single().Manifest.Digest).Layers.Single().Digest;
        var listing = await ProcessRunner.RunAsync(Tools.Tar, ["--quoting-style=escape", "-tf", Path.Combine(other, "blobs", "sha256", layer.Encoded)], CancellationToken.None);
        Assert.Contains("./a\\377\\376b\n", listing.StandardOutput);

        File.WriteAllText(Path.Combine(context, "Dockerfile"), "FROM nonutf8:1\n");
        var output = work.Combine("out");
        await sbuild.RunAsync(["build", "-o", $"type=local,dest={output}", context], storeRoot: other);
        await ProcessRunner.RunAsync("bash", ["-c", "test \"$(cat \"$1/$(printf 'a\\377\\376b')\")\" = odd", "-", output], CancellationToken.None);
    }
}
