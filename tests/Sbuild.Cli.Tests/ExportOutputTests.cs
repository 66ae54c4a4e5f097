using System.Formats.Tar;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// <c>-o</c> outputs beyond the archives: type=image, local and tar (the root file system), and the image options
/// (compression, media types, annotations), each read back with tools that are not sbuild (skopeo, umoci, tar).
/// </summary>
public sealed class ExportOutputTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    // What the final stage's root file system must show: owners, modes, a hard link, a symlink, a device node, and a
    // file of the base deleted (its whiteout carried out).
    private const string OddFilesDockerfile = """
        FROM busybox
        RUN mkdir /out && echo data > /out/f && chown 1000:2000 /out/f && chmod 640 /out/f \
         && ln /out/f /out/hard && ln -s f /out/sym && mknod /out/null c 1 3 && rm /bin/wget
        """;

    [Fact]
    public async Task Local_output_writes_the_final_root_file_system_with_owners_links_and_devices()
    {
        using var context = Context(OddFilesDockerfile);
        using var output = new TempDirectory("sbuild-local-out-");
        var dest = output.Combine("rootfs");
        await sbuild.RunAsync(["-o", $"type=local,dest={dest}", context.Path], epoch: 0);

        var file = Posix.LStat(Path.Combine(dest, "out/f"));
        Assert.Equal((1000u, 2000u, 0b110_100_000u), ((uint)file.Uid, (uint)file.Gid, file.Permissions));
        Assert.Equal(file.Inode, Posix.LStat(Path.Combine(dest, "out/hard")).Inode);
        Assert.Equal("f", new FileInfo(Path.Combine(dest, "out/sym")).LinkTarget);
        var device = Posix.LStat(Path.Combine(dest, "out/null"));
        Assert.Equal((Posix.FileStat.CharDevice, 1u, 3u), (device.Type, device.Major, device.Minor));
        Assert.False(File.Exists(Path.Combine(dest, "bin/wget")));
        Assert.True(File.Exists(Path.Combine(dest, "bin/busybox")));
    }

    [Fact]
    public async Task Tar_output_to_standard_output_holds_the_same_tree()
    {
        using var context = Context(OddFilesDockerfile);
        using var output = new TempDirectory("sbuild-tar-out-");
        var tar = output.Combine("rootfs.tar");
        // -o - is buildx's short form of type=tar,dest=-; the shell redirect makes stdout a file.
        await ProcessRunner.RunAsync("sh", ["-c", $"SBUILD_ROOT={sbuild.StoreRoot} SOURCE_DATE_EPOCH=0 dotnet {Path.Combine(AppContext.BaseDirectory, "sbuild.dll")} -o - {context.Path} > {tar}"], CancellationToken.None);

        var entries = new Dictionary<string, TarEntry>();
        await using (var stream = File.OpenRead(tar))
        {
            using var reader = new TarReader(stream);
            while (reader.GetNextEntry() is { } entry) entries[entry.Name.TrimEnd('/')] = entry;
        }
        Assert.Equal((1000, 2000), (entries["out/f"].Uid, entries["out/f"].Gid));
        Assert.Equal((UnixFileMode)0b110_100_000, entries["out/f"].Mode);
        Assert.Equal(TarEntryType.HardLink, entries["out/hard"].EntryType);
        Assert.Equal("out/f", entries["out/hard"].LinkName);
        Assert.Equal(TarEntryType.SymbolicLink, entries["out/sym"].EntryType);
        Assert.Equal(TarEntryType.CharacterDevice, entries["out/null"].EntryType);
        Assert.False(entries.ContainsKey("bin/wget"));
        Assert.DoesNotContain(entries.Keys, name => name.Contains(".wh."));
    }

    [Fact]
    public async Task Zstd_output_recompresses_the_new_layers_keeps_the_base_and_is_read_by_skopeo_and_umoci()
    {
        using var context = Context("FROM busybox\nRUN echo zstd-layer > /message\n");
        using var output = new TempDirectory("sbuild-zstd-");
        await sbuild.RunAsync(["-o", $"type=oci,dest={output.Combine("z.tar")},compression=zstd,compression-level=9", "-t", "zstd:1", context.Path], epoch: 0);
        await sbuild.RunAsync(["-o", $"type=oci,dest={output.Combine("f.tar")},compression=zstd,force-compression=true", "-t", "zstd:1", context.Path], epoch: 0);

        var busybox = sbuild.Store.ReadManifest(sbuild.Store.Find(ImageReference.Parse("busybox"))!.Manifest.Digest);
        var kept = await ManifestOfAsync(output.Combine("z.tar"));
        Assert.Equal(busybox.Layers[0].Digest.ToString(), kept["layers"]![0]!["digest"]!.GetValue<string>()); // the base passes through byte for byte
        Assert.Equal(MediaTypes.OciLayerZstd, kept["layers"]![1]!["mediaType"]!.GetValue<string>());
        var forced = await ManifestOfAsync(output.Combine("f.tar"));
        Assert.All(forced["layers"]!.AsArray(), l => Assert.Equal(MediaTypes.OciLayerZstd, l!["mediaType"]!.GetValue<string>()));

        // From layers stored uncompressed (whose digests are their diff_ids, so they are not hashed again) to zstd.
        await sbuild.RunAsync(["-o", "type=image,name=plain:1,compression=uncompressed,force-compression=true", context.Path], epoch: 0);
        using var onPlain = Context("FROM plain:1\n");
        await sbuild.RunAsync(["-o", $"type=oci,dest={output.Combine("p.tar")},compression=zstd,force-compression=true", onPlain.Path], epoch: 0);
        var fromPlain = await ManifestOfAsync(output.Combine("p.tar"));
        Assert.All(fromPlain["layers"]!.AsArray(), l => Assert.Equal(MediaTypes.OciLayerZstd, l!["mediaType"]!.GetValue<string>()));

        // skopeo reads the zstd layers (checking every digest) and, asked for gzip, decompresses them; umoci (0.4, which
        // predates zstd) then unpacks that copy, checking each layer against its diff_id, so the zstd streams held the
        // right trees.
        foreach (var archive in new[] { "z.tar", "f.tar", "p.tar" })
        {
            var layout = output.Combine("gzip-" + archive);
            await ProcessRunner.RunAsync(Tools.Skopeo, ["copy", "-q", "--dest-compress-format", "gzip", "--dest-compress", $"oci-archive:{output.Combine(archive)}", $"oci:{layout}:img"], CancellationToken.None);
            var bundle = output.Combine("bundle-" + archive);
            await ProcessRunner.RunAsync(Tools.Umoci, ["unpack", "--image", $"{layout}:img", bundle], CancellationToken.None);
            Assert.Equal("zstd-layer\n", File.ReadAllText(Path.Combine(bundle, "rootfs", "message")));
            Assert.True(File.Exists(Path.Combine(bundle, "rootfs", "bin", "busybox")));
        }
    }

    [Fact]
    public async Task Without_libzstd_a_zstd_output_fails_saying_to_install_libzstd1_and_gzip_still_works()
    {
        // libzstd.so.1 is hidden in a private mount namespace (an empty file bound over it), as on a machine without
        // Debian's libzstd1: the zstd output must fail with sbuild's error, not a DllNotFoundException's stack trace.
        var library = new FileInfo("/usr/lib/x86_64-linux-gnu/libzstd.so.1").ResolveLinkTarget(returnFinalTarget: true)?.FullName
            ?? throw new MissingToolException("libzstd.so.1 is not installed: apt-get install libzstd1");
        using var context = Context("FROM busybox\nRUN echo no-zstd > /m\n");
        using var output = new TempDirectory("sbuild-nozstd-");
        File.WriteAllBytes(output.Combine("empty.so"), []);
        string[] hidden = [Tools.Require("unshare", "apt-get install util-linux"), "--mount", "--propagation", "private", "sh", "-c",
            $"mount --bind {output.Combine("empty.so")} {library} && exec \"$@\"", "sh"];

        var failed = await sbuild.RunAsync(["-o", $"type=oci,dest={output.Combine("z.tar")},compression=zstd", context.Path],
            allowFailure: true, epoch: 0, under: hidden);
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("SB3001", failed.StandardError);
        Assert.Contains("apt-get install libzstd1", failed.StandardError);
        Assert.DoesNotContain("   at ", failed.StandardError);
        Assert.False(File.Exists(output.Combine("z.tar")));

        await sbuild.RunAsync(["-o", $"type=oci,dest={output.Combine("g.tar")}", context.Path], epoch: 0, under: hidden);
        Assert.True(new FileInfo(output.Combine("g.tar")).Length > 0);
    }

    [Fact]
    public async Task Docker_output_has_docker_media_types_unless_oci_mediatypes_and_annotations_reach_the_manifest()
    {
        using var context = Context("FROM busybox\nRUN echo typed > /t\n");
        using var output = new TempDirectory("sbuild-types-");
        await sbuild.RunAsync(["-t", "typed:1", "--annotation", "org.example.a=1", "--annotation", "manifest:org.example.b=2",
            "-o", $"type=docker,dest={output.Combine("d.tar")}", "-o", $"type=docker,dest={output.Combine("o.tar")},oci-mediatypes=true,annotation.org.example.b=3", context.Path], epoch: 0);

        var docker = await ManifestOfAsync(output.Combine("d.tar"));
        Assert.Equal(MediaTypes.DockerManifest, docker["mediaType"]!.GetValue<string>());
        Assert.Equal(MediaTypes.DockerConfig, docker["config"]!["mediaType"]!.GetValue<string>());
        Assert.All(docker["layers"]!.AsArray(), l => Assert.Equal(MediaTypes.DockerLayerGzip, l!["mediaType"]!.GetValue<string>()));
        Assert.Equal("1", docker["annotations"]!["org.example.a"]!.GetValue<string>());
        Assert.Equal("2", docker["annotations"]!["org.example.b"]!.GetValue<string>());

        var oci = await ManifestOfAsync(output.Combine("o.tar"));
        Assert.Equal(MediaTypes.OciManifest, oci["mediaType"]!.GetValue<string>());
        Assert.Equal("3", oci["annotations"]!["org.example.b"]!.GetValue<string>());
        // Both carry the same config: the image ID does not depend on how it is shipped.
        Assert.Equal(docker["config"]!["digest"]!.GetValue<string>(), oci["config"]!["digest"]!.GetValue<string>());
        // docker-archive and OCI archive both copy into an OCI layout with skopeo.
        await ProcessRunner.RunAsync(Tools.Skopeo, ["copy", "-q", $"docker-archive:{output.Combine("d.tar")}", $"oci:{output.Combine("copy")}:d"], CancellationToken.None);
        await ProcessRunner.RunAsync(Tools.Skopeo, ["copy", "-q", $"oci-archive:{output.Combine("o.tar")}", $"oci:{output.Combine("copy")}:o"], CancellationToken.None);
    }

    [Fact]
    public async Task Image_output_names_the_image_in_the_store()
    {
        using var context = Context("FROM busybox\nRUN echo stored > /s\n");
        var result = await sbuild.RunAsync(["-o", "type=image,name=stored:1,compression=uncompressed", context.Path], epoch: 0);

        var stored = sbuild.Store.Find(ImageReference.Parse("stored:1"))!;
        var manifest = sbuild.Store.ReadManifest(stored.Manifest.Digest);
        Assert.Equal(result.StandardOutput.Trim(), manifest.Config.Digest.ToString());
        Assert.Equal(MediaTypes.OciLayer, manifest.Layers[^1].MediaType);
    }

    [Theory]
    [InlineData("type=oci,dest=/nonexistent-dir/x.tar", "--output dest=/nonexistent-dir/x.tar: the directory /nonexistent-dir does not exist")]
    [InlineData("type=oci,dest=x.tar,compression=lz4", "compression \"lz4\" must be gzip, zstd or uncompressed")]
    [InlineData("type=oci,dest=x.tar,compression-level=30", "compression-level \"30\" must be a whole number from 0 to 22")]
    [InlineData("type=oci,dest=x.tar,compression=gzip,compression-level=12", "compression-level=12 is out of range for gzip (0 to 9)")]
    [InlineData("type=local,dest=out,compression=zstd", "unknown key \"compression\" for type=local")]
    [InlineData("type=oci,dest=x.tar,annotation-index.a=b", "index annotations are not supported for a single-platform image")]
    [InlineData("type=oci,dest=x.tar,colour=red", "unknown key \"colour\"")]
    public async Task Bad_outputs_fail_before_the_build_naming_the_flag(string output, string problem)
    {
        using var context = Context("FROM busybox\nRUN echo never > /n\n");
        var result = await sbuild.RunAsync(["--progress", "plain", "-o", output, context.Path], allowFailure: true);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(problem, result.StandardError);
        Assert.Contains("--output", result.StandardError);
        Assert.DoesNotContain("RUN echo never", result.StandardError);
    }

    [Fact]
    public async Task Two_outputs_to_standard_output_are_refused_and_index_annotations_name_the_flag()
    {
        using var context = Context("FROM busybox\n");
        var twice = await sbuild.RunAsync(["-o", "type=oci,dest=-", "-o", "type=tar,dest=-", context.Path], allowFailure: true);
        Assert.Contains("only one output can write to standard output", twice.StandardError);
        var index = await sbuild.RunAsync(["--annotation", "index:a=b", context.Path], allowFailure: true);
        Assert.Contains("invalid --annotation \"index:a=b\": index annotations are not supported", index.StandardError);
    }

    private static TempDirectory Context(string dockerfile)
    {
        var context = new TempDirectory("sbuild-export-ctx-");
        File.WriteAllText(context.Combine("Dockerfile"), dockerfile + "\n");
        return context;
    }

    /// <summary>The manifest the archive's index.json points at, read with tar (not sbuild).</summary>
    private static async Task<JsonNode> ManifestOfAsync(string archive)
    {
        var index = JsonNode.Parse((await ProcessRunner.RunAsync(Tools.Tar, ["-xOf", archive, "index.json"], CancellationToken.None)).StandardOutput)!;
        var digest = Digest.Parse(index["manifests"]![0]!["digest"]!.GetValue<string>());
        return JsonNode.Parse((await ProcessRunner.RunAsync(Tools.Tar, ["-xOf", archive, $"blobs/sha256/{digest.Encoded}"], CancellationToken.None)).StandardOutput)!;
    }
}
