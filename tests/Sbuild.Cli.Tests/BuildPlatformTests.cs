using System.Text.Json;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// <c>sbuild build --platform</c> against the reference BuildKit built with <c>--opt platform=</c> (what
/// <c>docker buildx build --platform</c> sends): the same Dockerfile, context and base images give the same image index
/// layout and, per platform, the same config (architecture, os, variant, history), layers and root file system; the
/// same per-platform directories for <c>-o type=local</c>; the same refusal of <c>-o type=docker</c>. A RUN for arm64
/// runs under the host's qemu-user-static binfmt_misc handler (scripts/setup registers it), for both builders.
/// </summary>
[Collection(OracleCollection.Name)]
public sealed class BuildPlatformTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    private static readonly string Host = Platform.Host.ToString();
    private const string Arm64Busybox = "/usr/local/lib/sbuild-test/arm64/bin/busybox";
    private const string BinfmtDir = "/proc/sys/fs/binfmt_misc";

    // Every automatic platform ARG, each in a label: the config comparison checks their values against BuildKit's.
    private const string ScratchDockerfile = """
        FROM scratch
        ARG TARGETPLATFORM
        ARG TARGETOS
        ARG TARGETARCH
        ARG TARGETVARIANT
        ARG BUILDPLATFORM
        ARG BUILDOS
        ARG BUILDARCH
        COPY a.txt /a-$TARGETARCH.txt
        COPY a.txt /
        LABEL target="$TARGETPLATFORM $TARGETOS $TARGETARCH $TARGETVARIANT" build="$BUILDPLATFORM $BUILDOS $BUILDARCH"
        """;

    private static readonly string[] ThreePlatforms = ["linux/amd64", "linux/arm64", "linux/arm/v7"];

    [Fact]
    public async Task A_three_platform_scratch_build_is_the_image_index_BuildKit_builds()
    {
        using var work = new TempDirectory("sbuild-platform-");
        var context = Context(work, ScratchDockerfile);
        var (actual, expected) = await BuildBothAsync(work, context, ThreePlatforms, []);

        Assert.Equal(IndexLayout(expected), IndexLayout(actual));
        Assert.Equal(ThreePlatforms, IndexLayout(actual).Select(e => e.Platform));
        foreach (var platform in ThreePlatforms)
            await AssertSamePlatformImageAsync(expected, actual, platform);

        // The values BuildKit gives (and the comparison above saw in both configs), spelled out.
        using var arm = await OciImage.ReadArchiveAsync(actual, "linux/arm/v7", CancellationToken.None);
        Assert.Equal(("arm", "linux", "v7"), (arm.Config.Architecture, arm.Config.Os, arm.Config.Variant));
        Assert.Equal("linux/arm/v7 linux arm v7", arm.Config.Config!.Labels!["target"]);
        Assert.Equal($"{Host} linux {Platform.Host.Architecture}", arm.Config.Config.Labels["build"]);
        Assert.Equal("x\n", File.ReadAllText(Path.Combine(arm.RootfsDir, "a-arm.txt")));
    }

    [Fact]
    public async Task Index_and_manifest_annotations_land_where_BuildKit_puts_them()
    {
        using var work = new TempDirectory("sbuild-platform-annotations-");
        var context = Context(work, ScratchDockerfile);
        string[] platforms = ["linux/amd64", "linux/arm64"];
        const string annotations = "annotation-index.org.example.i=one,annotation.org.example.m=two";
        var actual = work.Combine("sbuild.tar");
        var expected = work.Combine("buildkit.tar");
        await sbuild.RunAsync(["build", "--platform", string.Join(',', platforms), "--annotation", "index:org.example.f=three",
            "-o", $"type=oci,dest={actual},{annotations}", context]);
        var oracle = await BuildKitOracle.StartAsync(CancellationToken.None);
        await oracle.BuildToAsync(new OracleBuildRequest { ContextDir = context, Platforms = platforms },
            $"type=oci,dest={expected},name=sbuild-oracle:1,{annotations},annotation-index.org.example.f=three", CancellationToken.None);

        var (expectedIndex, expectedManifests) = AnnotationsIn(expected);
        var (actualIndex, actualManifests) = AnnotationsIn(actual);
        Assert.Equal(expectedIndex, actualIndex);
        Assert.Equal("one", actualIndex["org.example.i"]);
        Assert.Equal("three", actualIndex["org.example.f"]);
        Assert.Equal(expectedManifests, actualManifests);
        Assert.All(actualManifests, m => Assert.Equal("two", m["org.example.m"]));
    }

    /// <summary>The annotations of an OCI archive's image index, and of each manifest it lists (BuildKit adds none of its own to either here).</summary>
    private static (SortedDictionary<string, string> Index, List<SortedDictionary<string, string>> Manifests) AnnotationsIn(string archive)
    {
        var (index, manifests) = IndexIn(archive);
        return (index.Annotations ?? new(), manifests.Select(m => m.Annotations ?? new()).ToList());
    }

    /// <summary>The image index an OCI archive of several platforms holds (its index.json's one entry), and the manifests it lists.</summary>
    private static (ImageIndex Index, List<ImageManifest> Manifests) IndexIn(string archive)
    {
        using var layout = new TempDirectory("sbuild-index-");
        ProcessRunner.RunAsync(Tools.Tar, ["-xf", archive, "-C", layout.Path], CancellationToken.None).GetAwaiter().GetResult();
        byte[] Blob(Digest digest) => File.ReadAllBytes(layout.Combine($"blobs/sha256/{digest.Encoded}"));
        var top = JsonSerializer.Deserialize(File.ReadAllText(layout.Combine("index.json")), OciJsonContext.Canonical.ImageIndex)!;
        var entry = Assert.Single(top.Manifests);
        Assert.Equal(MediaTypes.OciIndex, entry.MediaType);
        var index = JsonSerializer.Deserialize(Blob(entry.Digest), OciJsonContext.Canonical.ImageIndex)!;
        Assert.Equal(MediaTypes.OciIndex, index.MediaType);
        return (index, index.Manifests.Select(m => JsonSerializer.Deserialize(Blob(m.Digest), OciJsonContext.Canonical.ImageManifest)!).ToList());
    }

    [Fact]
    public async Task Local_output_has_a_directory_per_platform_as_BuildKit_writes_it()
    {
        using var work = new TempDirectory("sbuild-platform-local-");
        var context = Context(work, ScratchDockerfile);
        var actual = work.Combine("sbuild-out");
        var expected = work.Combine("buildkit-out");
        await sbuild.RunAsync(["build", "--no-cache", "--platform", "linux/amd64,linux/arm/v7", "-o", $"type=local,dest={actual}", context]);
        var oracle = await BuildKitOracle.StartAsync(CancellationToken.None);
        await oracle.BuildToAsync(new OracleBuildRequest { ContextDir = context, Platforms = ["linux/amd64", "linux/arm/v7"] },
            $"type=local,dest={expected}", CancellationToken.None);

        Assert.Equal(["linux_amd64", "linux_arm_v7"], Directory.GetDirectories(actual).Select(Path.GetFileName).Order());
        BuildKitParity.AssertSame(RootfsComparer.Compare(expected, actual, new RootfsCompareOptions { ExpectedName = "buildkit", ActualName = "sbuild" }));
    }

    [Fact]
    public async Task A_docker_archive_of_several_platforms_is_refused_as_BuildKit_refuses_it()
    {
        using var work = new TempDirectory("sbuild-platform-docker-");
        var context = Context(work, ScratchDockerfile);
        const string Refusal = "docker exporter does not currently support exporting manifest lists";
        var refused = await sbuild.RunAsync(["build", "--platform", "linux/amd64,linux/arm64", "-o", $"type=docker,dest={work.Combine("d.tar")}", context],
            allowFailure: true);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"error[SB9001]: -o type=docker with --platform linux/amd64,linux/arm64: {Refusal}", refused.StandardError);
        Assert.False(File.Exists(work.Combine("d.tar")));

        var oracle = await BuildKitOracle.StartAsync(CancellationToken.None);
        var failed = await Assert.ThrowsAsync<ProcessFailedException>(() => oracle.BuildToAsync(
            new OracleBuildRequest { ContextDir = context, Platforms = ["linux/amd64", "linux/arm64"] },
            $"type=docker,dest={work.Combine("bk.tar")},name=x:1", CancellationToken.None));
        Assert.Contains(Refusal, failed.Message);
    }

    [Fact]
    public async Task The_index_is_named_in_the_store_and_FROM_of_it_picks_each_platform()
    {
        using var work = new TempDirectory("sbuild-platform-from-");
        // A two-platform base in the store, made by a multi-platform build.
        var baseContext = Context(work, "FROM scratch\nARG TARGETARCH\nCOPY a.txt /base-$TARGETARCH.txt\n", "base");
        var metadata = work.Combine("metadata.json");
        var id = (await sbuild.RunAsync(["build", "-q", "--platform", "linux/amd64,linux/arm64", "-t", "twoplatform:1", "--metadata-file", metadata, baseContext], epoch: 0))
            .StandardOutput.Trim();
        var entry = Assert.Single(sbuild.Store.Entries(), e => e.Name == "twoplatform:1");
        Assert.Equal((MediaTypes.OciIndex, id), (entry.Manifest.MediaType, entry.Manifest.Digest.ToString()));
        using (var json = JsonDocument.Parse(File.ReadAllText(metadata)))
        {
            // buildx's keys for an index: its digest and descriptor; no config digest (an index has none).
            Assert.Equal(id, json.RootElement.GetProperty("containerimage.digest").GetString());
            Assert.Equal(MediaTypes.OciIndex, json.RootElement.GetProperty("containerimage.descriptor").GetProperty("mediaType").GetString());
            Assert.False(json.RootElement.TryGetProperty("containerimage.config.digest", out _));
        }
        var inspect = await sbuild.RunAsync(["image", "inspect", "--platform", "linux/arm64", "--format", "{{.Os}}/{{.Architecture}}", "twoplatform:1"]);
        Assert.Equal("linux/arm64\n", inspect.StandardOutput);

        // The cross-compile pattern: the build stage runs on the build platform (no emulation), the result goes onto
        // each target platform's base.
        var context = Context(work, """
            FROM --platform=$BUILDPLATFORM busybox AS build
            ARG TARGETARCH
            ARG BUILDPLATFORM
            RUN echo "built on $BUILDPLATFORM for $TARGETARCH" > /out.txt
            FROM twoplatform:1
            COPY --from=build /out.txt /
            """);
        string[] platforms = ["linux/amd64", "linux/arm64"];
        var (actual, expected) = await BuildBothAsync(work, context, platforms, ["twoplatform:1"]);
        Assert.Equal(IndexLayout(expected), IndexLayout(actual));
        foreach (var platform in platforms)
            await AssertSamePlatformImageAsync(expected, actual, platform);
        using var arm = await OciImage.ReadArchiveAsync(actual, "linux/arm64", CancellationToken.None);
        Assert.Equal($"built on {Host} for arm64\n", File.ReadAllText(Path.Combine(arm.RootfsDir, "out.txt")));
        Assert.True(File.Exists(Path.Combine(arm.RootfsDir, "base-arm64.txt")));
        Assert.Equal("arm64", arm.Config.Architecture);
    }

    [Fact]
    public async Task A_base_of_one_platform_gives_each_target_platform_in_the_config_as_in_BuildKit()
    {
        // busybox of the test store is the host's only; an explicit --platform names the image's platform all the same.
        using var work = new TempDirectory("sbuild-platform-single-base-");
        var context = Context(work, "FROM busybox\nCOPY a.txt /\n");
        string[] platforms = ["linux/amd64", "linux/arm64"];
        var (actual, expected) = await BuildBothAsync(work, context, platforms, []);
        Assert.Equal(IndexLayout(expected), IndexLayout(actual));
        foreach (var platform in platforms)
            await AssertSamePlatformImageAsync(expected, actual, platform);
        using var arm = await OciImage.ReadArchiveAsync(actual, "linux/arm64", CancellationToken.None);
        Assert.Equal("arm64", arm.Config.Architecture);
    }

    [Fact]
    public async Task A_RUN_for_arm64_runs_under_the_binfmt_emulator_as_in_BuildKit()
    {
        RequireArm64Emulation();
        using var work = new TempDirectory("sbuild-platform-run-");
        var rootfs = work.Combine("arm64-rootfs.tar");
        await ProcessRunner.RunAsync("bash", [RepoPaths.InRepo("scripts", "make-busybox-rootfs"), rootfs, Arm64Busybox], CancellationToken.None);
        await sbuild.RunAsync(["image", "import", "--platform", "linux/arm64", rootfs, "busybox-arm64:latest"], epoch: 0);
        var context = Context(work, "FROM busybox-arm64\nARG TARGETPLATFORM\nRUN uname -m > /m && echo $TARGETPLATFORM >> /m\n");

        var archive = work.Combine("sbuild.tar");
        await sbuild.RunAsync(["build", "--no-cache", "--platform", "linux/arm64", "-t", "parity:1", "-o", $"type=oci,dest={archive}", context]);
        using var actual = await OciImage.ReadArchiveAsync(archive, CancellationToken.None);
        var oracle = await BuildKitOracle.StartAsync(CancellationToken.None);
        using var expected = await oracle.BuildAsync(new OracleBuildRequest
        {
            ContextDir = context, Platforms = ["linux/arm64"],
            BaseImages = [OracleBaseImage.FromStore(sbuild.Store, "busybox-arm64:latest", work.Combine("layout"))],
        }, CancellationToken.None);

        BuildKitParity.AssertSame(ImageComparer.Compare(expected, actual));
        Assert.Equal("aarch64\nlinux/arm64\n", File.ReadAllText(Path.Combine(actual.RootfsDir, "m")));
        Assert.Equal(("arm64", "linux"), (actual.Config.Architecture, actual.Config.Os));
    }

    [Fact]
    public async Task A_RUN_for_a_platform_without_an_emulator_fails_saying_what_to_install()
    {
        // riscv64 programs run nowhere here: scripts/setup registers only the arm64 emulator.
        Assert.False(File.Exists(Path.Combine(BinfmtDir, "qemu-riscv64")),
            $"this test needs a host without a riscv64 binfmt_misc handler: {BinfmtDir}/qemu-riscv64 is registered (echo -1 > {BinfmtDir}/qemu-riscv64 removes it)");
        using var work = new TempDirectory("sbuild-platform-noemu-");
        var root = work.Combine("rootfs");
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        File.WriteAllBytes(Path.Combine(root, "bin", "sh"), RiscvElfHeader());
        File.SetUnixFileMode(Path.Combine(root, "bin", "sh"), (UnixFileMode)0b111_101_101);
        var tar = work.Combine("riscv.tar");
        await ProcessRunner.RunAsync(Tools.Tar, ["-C", root, "-cf", tar, "."], CancellationToken.None);
        await sbuild.RunAsync(["image", "import", "--platform", "linux/riscv64", tar, "riscv-sh:latest"], epoch: 0);
        var context = Context(work, "FROM riscv-sh\nRUN echo hi\n");

        var failed = await sbuild.RunAsync(["build", "--progress", "quiet", "--platform", "linux/riscv64", context], allowFailure: true);
        Assert.Equal(1, failed.ExitCode);
        Assert.StartsWith($"error[SB3004]: {Path.Combine(context, "Dockerfile")}:2:1: RUN for linux/riscv64 cannot run on this {Host} host: " +
                          "the kernel has no binfmt_misc handler (emulator) for linux/riscv64 programs (exec /bin/sh: exec format error). Install qemu-user-static",
            failed.StandardError);

        // BuildKit fails the same step on the same kernel error.
        var oracle = await BuildKitOracle.StartAsync(CancellationToken.None);
        var refused = await Assert.ThrowsAsync<ProcessFailedException>(() => oracle.BuildArchiveAsync(new OracleBuildRequest
        {
            ContextDir = context, Platforms = ["linux/riscv64"],
            BaseImages = [OracleBaseImage.FromStore(sbuild.Store, "riscv-sh:latest", work.Combine("layout"))],
        }, work.Combine("bk.tar"), CancellationToken.None));
        Assert.Contains("exec format error", refused.Message);
    }

    [Fact]
    public async Task A_bad_platform_is_refused_naming_the_flag()
    {
        using var work = new TempDirectory("sbuild-platform-bad-");
        var context = Context(work, ScratchDockerfile);
        var bad = await sbuild.RunAsync(["build", "--platform", "linux/amd64,arm64", context], allowFailure: true);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--platform \"arm64\": expected OS/ARCH[/VARIANT]", bad.StandardError);
    }

    /// <summary>A context directory with <paramref name="dockerfile"/> and a.txt ("x\n").</summary>
    private static string Context(TempDirectory work, string dockerfile, string name = "context")
    {
        var dir = work.Combine(name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "Dockerfile"), dockerfile);
        File.WriteAllText(Path.Combine(dir, "a.txt"), "x\n");
        return dir;
    }

    /// <summary>Both builders' OCI archives of <paramref name="context"/> for <paramref name="platforms"/>.</summary>
    private async Task<(string Actual, string Expected)> BuildBothAsync(TempDirectory work, string context, string[] platforms, string[] baseImages)
    {
        var actual = work.Combine("sbuild.tar");
        var expected = work.Combine("buildkit.tar");
        await sbuild.RunAsync(["build", "--no-cache", "--platform", string.Join(',', platforms), "-t", "parity:1", "-o", $"type=oci,dest={actual}", context]);
        var oracle = await BuildKitOracle.StartAsync(CancellationToken.None);
        var layout = work.Combine("layout");
        await oracle.BuildArchiveAsync(new OracleBuildRequest
        {
            ContextDir = context, Platforms = platforms,
            BaseImages = baseImages.Append("busybox:latest").Select(b => OracleBaseImage.FromStore(sbuild.Store, b, layout)).ToList(),
        }, expected, CancellationToken.None);
        return (actual, expected);
    }

    private static async Task AssertSamePlatformImageAsync(string expectedArchive, string actualArchive, string platform)
    {
        using var expected = await OciImage.ReadArchiveAsync(expectedArchive, platform, CancellationToken.None);
        using var actual = await OciImage.ReadArchiveAsync(actualArchive, platform, CancellationToken.None);
        var differences = ImageComparer.Compare(expected, actual).Select(d => $"{platform}: {d}").ToList();
        differences.AddRange(expected.Manifest.Layers.Select(l => l.MediaType).SequenceEqual(actual.Manifest.Layers.Select(l => l.MediaType))
            ? [] : [$"{platform}: layer media types differ"]);
        BuildKitParity.AssertSame(differences);
    }

    /// <summary>
    /// The archive's index.json entry (one, an image index) and the index's manifests: media type and platform each,
    /// in order.
    /// </summary>
    private static List<(string MediaType, string Platform)> IndexLayout(string archive) =>
        IndexIn(archive).Index.Manifests.Select(m => (m.MediaType, m.Platform?.ToString() ?? "(none)")).ToList();

    /// <summary>The arm64 busybox and a binfmt_misc handler for arm64 with the F flag (it must work inside a container).</summary>
    private static void RequireArm64Emulation()
    {
        Tools.Require(Arm64Busybox, "run scripts/setup (it unpacks Debian's busybox-static:arm64 there)");
        var handler = Path.Combine(BinfmtDir, "qemu-aarch64");
        if (!File.Exists(handler))
            throw new MissingToolException($"no arm64 emulator: {handler} is not registered: apt-get install qemu-user-static, then " +
                                           $"cat /usr/lib/binfmt.d/qemu-aarch64.conf > {BinfmtDir}/register (scripts/setup does both)");
        var text = File.ReadAllText(handler);
        if (!text.StartsWith("enabled", StringComparison.Ordinal) || !text.Split('\n').Any(l => l.StartsWith("flags:", StringComparison.Ordinal) && l.Contains('F')))
            throw new MissingToolException($"the arm64 emulator {handler} is disabled or lacks the F flag:\n{text}");
    }

    /// <summary>The 64-byte header of a 64-bit little-endian ELF executable for RISC-V: what the kernel reads before exec.</summary>
    private static byte[] RiscvElfHeader()
    {
        var header = new byte[64];
        "\u007fELF"u8.CopyTo(header);
        header[4] = 2; // 64-bit
        header[5] = 1; // little-endian
        header[6] = 1; // ELF version
        BitConverter.TryWriteBytes(header.AsSpan(16), (ushort)2); // ET_EXEC
        BitConverter.TryWriteBytes(header.AsSpan(18), (ushort)243); // EM_RISCV
        BitConverter.TryWriteBytes(header.AsSpan(20), 1u); // version
        BitConverter.TryWriteBytes(header.AsSpan(52), (ushort)64); // header size
        BitConverter.TryWriteBytes(header.AsSpan(54), (ushort)56); // program header entry size
        BitConverter.TryWriteBytes(header.AsSpan(58), (ushort)64); // section header entry size
        return header;
    }
}

/// <summary>A multi-platform build FROM a registry's multi-platform image pulls each platform's image (Debian's docker-registry on 127.0.0.1).</summary>
public sealed class BuildPlatformRegistryTests(SbuildCli sbuild) : IClassFixture<SbuildCli>, IAsyncLifetime
{
    private RegistryServer _registry = null!;
    private readonly TempDirectory _work = new("sbuild-platform-registry-");

    public async Task InitializeAsync() => _registry = await RegistryServer.StartOpenAsync(CancellationToken.None);

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _work.Dispose();
    }

    [Fact]
    public async Task A_build_of_two_platforms_pushes_its_image_index_whole()
    {
        var context = _work.Combine("push-ctx");
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), "FROM scratch\nARG TARGETARCH\nCOPY a.txt /$TARGETARCH.txt\n");
        File.WriteAllText(Path.Combine(context, "a.txt"), "x\n");
        var name = $"{_registry.Address}/built/multi:1";
        var build = await sbuild.RunAsync(["build", "--platform", "linux/amd64,linux/arm64", "--push", "-t", name, context],
            storeRoot: _work.Combine("push-store"));

        // The registry holds an index of both platforms (its digest is what the build printed), each manifest by digest.
        var raw = (await RegistrySeed.SkopeoAsync(["inspect", "--raw", "--tls-verify=false", $"docker://{name}"])).StandardOutput;
        Assert.Equal(build.StandardOutput.Trim(), "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(raw))));
        var manifests = System.Text.Json.Nodes.JsonNode.Parse(raw)!["manifests"]!.AsArray();
        Assert.Equal(["amd64", "arm64"], manifests.Select(m => m!["platform"]!["architecture"]!.GetValue<string>()));
        foreach (var (manifest, arch) in manifests.Zip(["amd64", "arm64"]))
        {
            var copied = _work.Combine($"pulled-{arch}.tar");
            await RegistrySeed.SkopeoAsync(["copy", "--src-tls-verify=false", $"docker://{_registry.Address}/built/multi@{manifest!["digest"]!.GetValue<string>()}", $"oci-archive:{copied}:1"]);
            using var image = await OciImage.ReadArchiveAsync(copied, CancellationToken.None);
            Assert.Equal(arch, image.Config.Architecture);
            Assert.Equal("x\n", File.ReadAllText(Path.Combine(image.RootfsDir, arch + ".txt")));
        }
    }

    [Fact]
    public async Task Each_platform_builds_on_that_platforms_image_of_the_registry_index()
    {
        var index = RegistrySeed.WriteMultiPlatformLayout(_work.Combine("multi"), "multi");
        await RegistrySeed.SkopeoAsync(["copy", "--all", "--dest-tls-verify=false", $"oci:{index.LayoutDir}:multi", $"docker://{_registry.Address}/multi/img:1"]);
        var context = _work.Combine("ctx");
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), $"FROM {_registry.Address}/multi/img:1\nCOPY a.txt /\n");
        File.WriteAllText(Path.Combine(context, "a.txt"), "x\n");
        var archive = _work.Combine("out.tar");

        await sbuild.RunAsync(["build", "--platform", "linux/amd64,linux/arm64", "-t", "app:1", "-o", $"type=oci,dest={archive}", context],
            storeRoot: _work.Combine("store"));

        using var amd64 = await OciImage.ReadArchiveAsync(archive, "linux/amd64", CancellationToken.None);
        using var arm64 = await OciImage.ReadArchiveAsync(archive, "linux/arm64", CancellationToken.None);
        Assert.Equal(index.Amd64.LayerDigest, amd64.Manifest.Layers[0].Digest);
        Assert.Equal(index.Arm64.LayerDigest, arm64.Manifest.Layers[0].Digest);
        Assert.Equal("arm64\n", File.ReadAllText(Path.Combine(arm64.RootfsDir, "hello.txt")));
    }
}
