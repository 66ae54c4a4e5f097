using System.Text.Json;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// A stored two-platform image (<see cref="TwoPlatformImage"/>, loaded) pushed to a real registry (Debian's
/// docker-registry) and saved, checked with skopeo and oci-image-tool; and the same with one platform's content absent
/// from the store, which moby's containerd store handles by pushing the host's manifest alone
/// (daemon/containerd/image_push.go) and by saving what it has (image_exporter.go, archive.WithSkipMissing).
/// </summary>
public sealed class MultiPlatformPushSaveTests(SbuildCli sbuild) : IClassFixture<SbuildCli>, IAsyncLifetime
{
    private RegistryServer _registry = null!;
    private readonly TempDirectory _work = new("sbuild-multi-push-");
    private TwoPlatformImage _image = null!;

    public async Task InitializeAsync()
    {
        _registry = await RegistryServer.StartOpenAsync(CancellationToken.None);
        _image = await TwoPlatformImage.CreateAsync(sbuild, _work);
    }

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _work.Dispose();
    }

    private async Task<ImageStore> LoadedStoreAsync(string name)
    {
        var store = _work.Combine(name);
        await sbuild.RunAsync(["load", "-i", _image.Tar], storeRoot: store);
        return new ImageStore(store);
    }

    private static string Blob(ImageStore store, Digest digest) => File.ReadAllText(store.Content.PathOf(digest));

    [Fact]
    public async Task Push_with_a_platform_sends_that_platforms_manifest_alone_under_the_name()
    {
        var store = await LoadedStoreAsync("store-platform");
        var name = $"{_registry.Address}/multi/one:1";
        await sbuild.RunAsync(["tag", "multi:1", name], storeRoot: store.Root);

        var push = await sbuild.RunAsync(["push", "--platform", $"linux/{TwoPlatformImage.OtherArch}", name], storeRoot: store.Root);
        Assert.Equal($"{_image.OtherManifest}\n", push.StandardOutput);
        var raw = await RegistrySeed.SkopeoAsync(["inspect", "--raw", "--tls-verify=false", $"docker://{name}"]);
        Assert.Equal(Blob(store, _image.OtherManifest), raw.StandardOutput); // the manifest, byte for byte; no index
        var config = await RegistrySeed.SkopeoAsync(["inspect", "--config", "--tls-verify=false", $"docker://{name}"]);
        Assert.Equal(TwoPlatformImage.OtherArch, System.Text.Json.Nodes.JsonNode.Parse(config.StandardOutput)!["architecture"]!.GetValue<string>());

        // A platform the image does not have: moby's words, nothing pushed.
        var missing = await sbuild.RunAsync(["push", "--platform", "linux/s390x", $"{_registry.Address}/multi/none:1"], storeRoot: store.Root, allowFailure: true);
        Assert.Equal(1, missing.ExitCode); // no such name yet
        await sbuild.RunAsync(["tag", "multi:1", $"{_registry.Address}/multi/none:1"], storeRoot: store.Root);
        missing = await sbuild.RunAsync(["push", "--platform", "linux/s390x", $"{_registry.Address}/multi/none:1"], storeRoot: store.Root, allowFailure: true);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("was found but does not provide the specified platform (linux/s390x)", missing.StandardError);
        var absent = await ProcessRunner.RunAsync(Tools.Skopeo, ["inspect", "--raw", "--tls-verify=false", $"docker://{_registry.Address}/multi/none:1"],
            new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        Assert.NotEqual(0, absent.ExitCode);
    }

    [Fact]
    public async Task Push_sends_every_platform_and_the_index_and_save_oci_writes_the_index_whole()
    {
        var store = await LoadedStoreAsync("store");
        var name = $"{_registry.Address}/multi/img:1";
        await sbuild.RunAsync(["tag", "multi:1", name], storeRoot: store.Root);

        var push = await sbuild.RunAsync(["push", name], storeRoot: store.Root);
        Assert.Equal($"{_image.Index}\n", push.StandardOutput);
        var raw = await RegistrySeed.SkopeoAsync(["inspect", "--raw", "--tls-verify=false", $"docker://{name}"]);
        Assert.Equal(Blob(store, _image.Index), raw.StandardOutput);
        foreach (var manifest in new[] { _image.HostManifest, _image.OtherManifest })
        {
            var platform = await RegistrySeed.SkopeoAsync(["inspect", "--raw", "--tls-verify=false", $"docker://{_registry.Address}/multi/img@{manifest}"]);
            Assert.Equal(Blob(store, manifest), platform.StandardOutput);
        }
        // skopeo copies every platform back out: each blob of the layout the image was loaded from comes back.
        var copied = _work.Combine("copied");
        await RegistrySeed.SkopeoAsync(["copy", "--all", "--src-tls-verify=false", $"docker://{name}", $"oci:{copied}:1"]);
        foreach (var blob in _image.Blobs)
            Assert.True(File.Exists(Path.Combine(copied, "blobs", "sha256", blob.Encoded)), $"{blob} was not pushed");

        var saved = _work.Combine("multi-oci.tar");
        await sbuild.RunAsync(["save", "--format", "oci", "-o", saved, "multi:1"], storeRoot: store.Root);
        var archived = await RegistrySeed.SkopeoAsync(["inspect", "--raw", $"oci-archive:{saved}:1"]);
        Assert.Equal(Blob(store, _image.Index), archived.StandardOutput);
        var layout = _work.Combine("saved-layout");
        Directory.CreateDirectory(layout);
        await ProcessRunner.RunAsync(Tools.Tar, ["-xf", saved, "-C", layout], CancellationToken.None);
        Assert.Equal(_image.Blobs.Select(b => b.Encoded).Order(StringComparer.Ordinal), Directory.EnumerateFiles(Path.Combine(layout, "blobs", "sha256")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // oci-image-tool 1.0.0-rc1 checks the layout and its reference but does not descend into a nested index: the
        // index and each platform's manifest are validated as documents of their own.
        string BlobFile(Digest digest) => Path.Combine(layout, "blobs", "sha256", digest.Encoded);
        foreach (var (type, target) in new[] { ("image", layout), ("imageIndex", BlobFile(_image.Index)), ("manifest", BlobFile(_image.HostManifest)), ("manifest", BlobFile(_image.OtherManifest)) })
        {
            var validation = await ProcessRunner.RunAsync(Tools.OciImageTool, ["validate", "--type", type, .. type == "image" ? new[] { "--ref", "name=1" } : [], target], CancellationToken.None);
            Assert.Contains("Validation succeeded", validation.StandardOutput + validation.StandardError);
        }

        // The docker-archive: manifest.json holds the host's image (docker 20.10's archive has one platform per name).
        var docker = _work.Combine("multi-docker.tar");
        await sbuild.RunAsync(["save", "-o", docker, "multi:1"], storeRoot: store.Root);
        var extracted = _work.Combine("docker-archive");
        Directory.CreateDirectory(extracted);
        await ProcessRunner.RunAsync(Tools.Tar, ["-xf", docker, "-C", extracted], CancellationToken.None);
        using var manifestJson = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(extracted, "manifest.json")));
        var entry = Assert.Single(manifestJson.RootElement.EnumerateArray());
        Assert.Equal($"blobs/sha256/{Digest.Parse(_image.HostId).Encoded}", entry.GetProperty("Config").GetString());
        Assert.Equal("multi:1", Assert.Single(entry.GetProperty("RepoTags").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task With_another_platform_absent_push_sends_the_hosts_manifest_and_save_what_the_store_has()
    {
        var store = await LoadedStoreAsync("partial-store");
        File.Delete(store.Content.PathOf(_image.OtherManifest)); // what a one-platform pull leaves in containerd's store
        var name = $"{_registry.Address}/partial/img:1";
        await sbuild.RunAsync(["tag", "multi:1", name], storeRoot: store.Root);

        var push = await sbuild.RunAsync(["push", name], storeRoot: store.Root);
        Assert.Equal($"{_image.HostManifest}\n", push.StandardOutput);
        Assert.Contains($"Not all multiplatform-content is present and only the available single-platform image was pushed\n{_image.Index} -> {_image.HostManifest}", push.StandardError);
        var raw = await RegistrySeed.SkopeoAsync(["inspect", "--raw", "--tls-verify=false", $"docker://{name}"]);
        Assert.Equal(Blob(store, _image.HostManifest), raw.StandardOutput);

        // save writes the index and what the store has; loading that keeps the host's image.
        var saved = _work.Combine("partial-oci.tar");
        await sbuild.RunAsync(["save", "--format", "oci", "-o", saved, "multi:1"], storeRoot: store.Root);
        var listing = (await ProcessRunner.RunAsync(Tools.Tar, ["-tf", saved], CancellationToken.None)).StandardOutput;
        Assert.Contains($"blobs/sha256/{_image.Index.Encoded}\n", listing);
        Assert.Contains($"blobs/sha256/{_image.HostManifest.Encoded}\n", listing);
        Assert.DoesNotContain(_image.OtherManifest.Encoded, listing);
        var fresh = _work.Combine("fresh-store");
        Assert.Equal("Loaded image: multi:1\n", (await sbuild.RunAsync(["load", "-i", saved], storeRoot: fresh)).StandardOutput);
        Assert.Equal(_image.HostManifest, new ImageStore(fresh).Find(ImageReference.Parse("multi:1"))!.Manifest.Digest);

        // The tree still lists the absent platform (by its manifest digest, nothing of it in the store), as moby does.
        var tree = await sbuild.RunAsync(["images", "--tree", "multi"], storeRoot: store.Root);
        // IMAGE is 18 wide: "├─ linux/" + 5 letters, in bytes.
        Assert.Contains($"{"└─ linux/" + TwoPlatformImage.OtherArch,-18}   {_image.OtherManifest.Encoded[..12]}   {"0B",10}   {"0B",12}        \n", tree.StandardOutput);

        // Without the host's content either, nothing is pushed or saved, and the error names what is missing.
        var hostLayer = new ImageStore(store.Root).ReadManifest(_image.HostManifest).Layers[^1].Digest;
        File.Delete(store.Content.PathOf(hostLayer));
        var refused = await sbuild.RunAsync(["push", name], storeRoot: store.Root, allowFailure: true);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("error[SB4003]", refused.StandardError);
        Assert.Contains(hostLayer.ToString(), refused.StandardError);
        Assert.Contains("nothing was pushed", refused.StandardError);
        Assert.DoesNotContain("   at ", refused.StandardError);
        var unsaved = await sbuild.RunAsync(["save", "-o", _work.Combine("broken.tar"), "multi:1"], storeRoot: store.Root, allowFailure: true);
        Assert.Equal(1, unsaved.ExitCode);
        Assert.Contains($"error[SB4003]", unsaved.StandardError);
        Assert.Contains(hostLayer.ToString(), unsaved.StandardError);
        Assert.False(File.Exists(_work.Combine("broken.tar")));
    }
}
