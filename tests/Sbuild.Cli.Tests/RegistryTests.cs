using System.Text.Json.Nodes;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// sbuild against real registries (Debian's docker-registry on 127.0.0.1, started per class): images are seeded and
/// checked with skopeo, which knows nothing of sbuild, and errors are checked for their code, their advice and for
/// leaving the store as it was.
/// </summary>
public sealed class RegistryPullPushTests(SbuildCli sbuild) : IClassFixture<SbuildCli>, IAsyncLifetime
{
    private RegistryServer _registry = null!;
    private readonly TempDirectory _work = new("sbuild-registry-cli-");

    public async Task InitializeAsync() => _registry = await RegistryServer.StartOpenAsync(CancellationToken.None);

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _work.Dispose();
    }

    [Fact]
    public async Task Build_pulls_its_base_and_pushes_an_image_skopeo_and_a_fresh_store_agree_on()
    {
        var basis = await RegistrySeed.SkopeoCopyAsync(OciTestImage.Write(_work.Combine("base"), "t", "from the registry\n"),
            $"{_registry.Address}/seed/base:1");
        var context = _work.Combine("ctx");
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "Dockerfile"),
            $"FROM {_registry.Address}/seed/base:1\nCOPY --from=busybox /bin/busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo built > /built\"]\n");
        var app = $"{_registry.Address}/team/app:1";

        var build = await sbuild.RunAsync(["-t", app, "--push", context], epoch: 0);

        Assert.Contains($"pulled {_registry.Address}/seed/base:1: {basis}", build.StandardError);
        var local = sbuild.Store.Find(ImageReference.Parse(app))!;
        Assert.Contains($"pushed {app}: {local.Manifest.Digest}", build.StandardError);
        var inspected = JsonNode.Parse((await RegistrySeed.SkopeoAsync(["inspect", "--raw", "--tls-verify=false", $"docker://{app}"])).StandardOutput)!;
        Assert.Equal(3, inspected["layers"]!.AsArray().Count);
        var digest = await RegistrySeed.SkopeoDigestAsync(app);
        Assert.Equal(local.Manifest.Digest.ToString(), digest);

        // A second store pulls the same bytes back: the same manifest digest, the image usable as a base at once.
        var fresh = _work.Combine("fresh-store");
        var pull = await sbuild.RunAsync(["pull", app], storeRoot: fresh);
        Assert.Equal(local.Manifest.Digest.ToString(), pull.StandardOutput.Trim());
        var images = await sbuild.RunAsync(["images"], storeRoot: fresh);
        Assert.Contains(images.StandardOutput.Split('\n'), l => l.StartsWith($"{_registry.Address}/team/app ") && l.Contains(" 1 "));
        File.WriteAllText(Path.Combine(context, "Dockerfile.child"), $"FROM {app}\nRUN [\"/bin/busybox\", \"cat\", \"/built\"]\n");
        var child = await sbuild.RunAsync(["-f", Path.Combine(context, "Dockerfile.child"), context], storeRoot: fresh);
        Assert.DoesNotContain("pulling", child.StandardError); // the tag is in the store: no network
        Assert.Contains("built", child.StandardError);
    }

    [Fact]
    public async Task Metadata_file_holds_the_pushed_digest_config_digest_layers_and_names_in_buildx_keys()
    {
        var context = _work.Combine("meta-ctx");
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), "FROM busybox\nRUN echo meta > /meta\n");
        var name = $"{_registry.Address}/meta/app:1";
        var metadataPath = _work.Combine("metadata.json");
        var iidPath = _work.Combine("iid");

        await sbuild.RunAsync(["-t", name, "--push", "--metadata-file", metadataPath, "--iidfile", iidPath, context], epoch: 0);

        var metadata = JsonNode.Parse(File.ReadAllText(metadataPath))!;
        var pushed = await RegistrySeed.SkopeoDigestAsync(name);
        Assert.Equal(pushed, (string?)metadata["containerimage.digest"]);
        Assert.Equal(pushed, (string?)metadata["containerimage.descriptor"]!["digest"]);
        Assert.Equal(MediaTypes.OciManifest, (string?)metadata["containerimage.descriptor"]!["mediaType"]);
        Assert.Equal(File.ReadAllText(iidPath), (string?)metadata["containerimage.config.digest"]);
        Assert.Equal(name, (string?)metadata["image.name"]);
        var raw = JsonNode.Parse((await RegistrySeed.SkopeoAsync(["inspect", "--raw", "--tls-verify=false", $"docker://{name}"])).StandardOutput)!;
        Assert.Equal(raw["layers"]!.AsArray().Select(l => (string?)l!["digest"]), metadata["containerimage.layers"]!.AsArray().Select(l => (string?)l!["digest"]));
        Assert.Equal(2, metadata["containerimage.layers"]!.AsArray().Count);
    }

    [Fact]
    public async Task Push_mounts_blobs_the_registry_has_in_another_repository_and_skips_those_it_has()
    {
        await RegistrySeed.SkopeoCopyAsync(OciTestImage.Write(_work.Combine("m"), "t", "mount me\n"), $"{_registry.Address}/seed/mounted:1");
        var context = _work.Combine("mount-ctx");
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), $"FROM {_registry.Address}/seed/mounted:1\nENV A=1\n");

        var first = await sbuild.RunAsync(["-t", $"{_registry.Address}/other/mounted:1", "--push", context], epoch: 0);
        Assert.Contains("(1 blobs uploaded, 1 mounted, 0 already there)", first.StandardError); // new config; layer mounted
        var again = await sbuild.RunAsync(["push", $"{_registry.Address}/other/mounted:1"]);
        Assert.Contains("(0 blobs uploaded, 0 mounted, 2 already there)", again.StandardError);
    }

    [Fact]
    public async Task A_multi_platform_index_copied_by_skopeo_yields_the_requested_platform()
    {
        var index = RegistrySeed.WriteMultiPlatformLayout(_work.Combine("multi"), "multi");
        await RegistrySeed.SkopeoAsync(["copy", "--all", "--dest-tls-verify=false", $"oci:{index.LayoutDir}:multi", $"docker://{_registry.Address}/multi/img:1"]);
        var store = _work.Combine("multi-store");

        var host = await sbuild.RunAsync(["pull", $"{_registry.Address}/multi/img:1"], storeRoot: store);
        Assert.Equal(index.IndexDigest.ToString(), host.StandardOutput.Trim()); // the digest the registry knows the image by
        Assert.Equal(index.Amd64.ManifestDigest, new ImageStore(store).Find(ImageReference.Parse($"{_registry.Address}/multi/img:1"))!.Manifest.Digest);

        // Blobs the store has are never downloaded again: a second pull fetches manifests only.
        var again = await sbuild.RunAsync(["pull", $"{_registry.Address}/multi/img:1"], storeRoot: store);
        Assert.DoesNotContain("blobs to download", again.StandardError);
        Assert.Equal(host.StandardOutput, again.StandardOutput);

        await sbuild.RunAsync(["pull", "--platform", "linux/arm64", $"{_registry.Address}/multi/img:1"], storeRoot: store);
        Assert.Equal(index.Arm64.ManifestDigest, new ImageStore(store).Find(ImageReference.Parse($"{_registry.Address}/multi/img:1"))!.Manifest.Digest);

        var missing = await sbuild.RunAsync(["pull", "--platform", "linux/s390x", $"{_registry.Address}/multi/img:1"], allowFailure: true, storeRoot: store);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("error[SB5006]", missing.StandardError);
        Assert.Contains("linux/amd64, linux/arm64", missing.StandardError);
    }

    [Fact]
    public async Task Unknown_tags_and_unreachable_registries_fail_with_what_to_check()
    {
        var unknown = await sbuild.RunAsync(["pull", $"{_registry.Address}/nope/nothing:1"], allowFailure: true);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("error[SB5002]", unknown.StandardError);
        Assert.Contains("MANIFEST_UNKNOWN", unknown.StandardError);
        Assert.DoesNotContain("   at ", unknown.StandardError);

        var port = TestHttpServer.FreePort();
        var unreachable = await sbuild.RunAsync(["pull", $"127.0.0.1:{port}/x:1"], allowFailure: true);
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains("error[SB5001]", unreachable.StandardError);
        Assert.Contains($"127.0.0.1:{port}", unreachable.StandardError);

        // In a Dockerfile the error points at the FROM line.
        var context = _work.Combine("bad-from");
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), $"FROM busybox\nFROM {_registry.Address}/nope/nothing:2\n");
        var build = await sbuild.RunAsync([context], allowFailure: true);
        Assert.Contains("error[SB5002]", build.StandardError);
        Assert.Contains("Dockerfile:2", build.StandardError);
        Assert.Null(sbuild.Store.Find(ImageReference.Parse($"{_registry.Address}/nope/nothing:2")));
    }

    [Fact]
    public async Task Pull_re_resolves_a_tag_only_with_the_pull_flag()
    {
        var name = $"{_registry.Address}/moving/tag:1";
        var v1 = await RegistrySeed.SkopeoCopyAsync(OciTestImage.Write(_work.Combine("v1"), "t", "one\n"), name);
        var context = _work.Combine("pull-ctx");
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), $"FROM {name}\n");
        var store = _work.Combine("pull-store");
        await sbuild.RunAsync([context], storeRoot: store);
        var v2 = await RegistrySeed.SkopeoCopyAsync(OciTestImage.Write(_work.Combine("v2"), "t", "two\n"), name);
        Assert.NotEqual(v1, v2);

        var cached = await sbuild.RunAsync([context], storeRoot: store);
        Assert.DoesNotContain("pull", cached.StandardError);
        Assert.Equal(v1, new ImageStore(store).Find(ImageReference.Parse(name))!.Manifest.Digest);

        var pulled = await sbuild.RunAsync(["--pull", context], storeRoot: store);
        Assert.Contains($"pulled {name}: {v2}", pulled.StandardError);
        Assert.Equal(v2, new ImageStore(store).Find(ImageReference.Parse(name))!.Manifest.Digest);
    }

    [Fact]
    public async Task Output_type_registry_pushes_under_its_own_names()
    {
        var context = _work.Combine("out-ctx");
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), "FROM busybox\nENV OUT=1\n");
        var a = $"{_registry.Address}/out/a:1";
        var b = $"{_registry.Address}/out/b:2";
        var result = await sbuild.RunAsync(["-o", $"type=registry,\"name={a},{b}\"", context], epoch: 0);
        Assert.Contains($"pushed {a}", result.StandardError);
        Assert.Contains($"pushed {b}", result.StandardError);
        var digestA = await RegistrySeed.SkopeoDigestAsync(a);
        var digestB = await RegistrySeed.SkopeoDigestAsync(b);
        Assert.Equal(digestA, digestB);

        var noName = await sbuild.RunAsync(["--push", context], allowFailure: true);
        Assert.Contains("error[SB9001]", noName.StandardError);
        Assert.Contains("--tag", noName.StandardError);
    }
}

/// <summary>Seeding registries with skopeo (the independent client) and building a two-platform OCI layout by hand.</summary>
public static class RegistrySeed
{
    public static Task<ProcessResult> SkopeoAsync(IEnumerable<string> args) =>
        ProcessRunner.RunAsync(Tools.Skopeo, args, CancellationToken.None);

    /// <summary>The manifest digest skopeo reads for <c>docker://<paramref name="name"/></c> (plain http or unverified TLS; optional credentials).</summary>
    public static async Task<string> SkopeoDigestAsync(string name, string? credentials = null) =>
        (await SkopeoAsync(["inspect", "--format", "{{.Digest}}", "--tls-verify=false", .. credentials is null ? Array.Empty<string>() : ["--creds", credentials],
            $"docker://{name}"])).StandardOutput.Trim();

    /// <summary>Copies <paramref name="image"/> to <c>docker://<paramref name="destination"/></c>; returns its manifest digest.</summary>
    public static async Task<Digest> SkopeoCopyAsync(OciTestImage image, string destination)
    {
        await SkopeoAsync(["copy", "--dest-tls-verify=false", image.Reference, $"docker://{destination}"]);
        return image.ManifestDigest;
    }

    public sealed record MultiPlatformLayout(string LayoutDir, Digest IndexDigest, OciTestImage Amd64, OciTestImage Arm64);

    /// <summary>An OCI layout whose tag <paramref name="tag"/> is an index of a linux/amd64 and a linux/arm64 image.</summary>
    public static MultiPlatformLayout WriteMultiPlatformLayout(string layoutDir, string tag)
    {
        var amd64 = OciTestImage.Write(layoutDir, "amd64", "amd64\n");
        var arm64 = OciTestImage.Write(Path.Combine(layoutDir, "..", Path.GetFileName(layoutDir) + "-arm64"), "arm64", "arm64\n");
        // Both images' blobs in one layout.
        foreach (var blob in Directory.GetFiles(Path.Combine(arm64.LayoutDir, "blobs", "sha256")))
            File.Copy(blob, Path.Combine(layoutDir, "blobs", "sha256", Path.GetFileName(blob)), overwrite: true);
        string Entry(OciTestImage image, string arch) =>
            $$$"""{"mediaType":"{{{OciTestImage.ManifestMediaType}}}","digest":"{{{image.ManifestDigest}}}","size":{{{new FileInfo(image.BlobPath(image.ManifestDigest)).Length}}},"platform":{"architecture":"{{{arch}}}","os":"linux"}}""";
        var index = System.Text.Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"{{MediaTypes.OciIndex}}","manifests":[{{Entry(amd64, "amd64")}},{{Entry(arm64, "arm64")}}]}""");
        var indexDigest = Digest.Of(index);
        File.WriteAllBytes(Path.Combine(layoutDir, "blobs", "sha256", indexDigest.Encoded), index);
        File.WriteAllText(Path.Combine(layoutDir, "index.json"),
            $$$"""{"schemaVersion":2,"manifests":[{"mediaType":"{{{MediaTypes.OciIndex}}}","digest":"{{{indexDigest}}}","size":{{{index.Length}}},"annotations":{"org.opencontainers.image.ref.name":"{{{tag}}}"}}]}""");
        return new MultiPlatformLayout(layoutDir, indexDigest, amd64, arm64);
    }
}
