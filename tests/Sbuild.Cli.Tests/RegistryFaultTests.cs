using System.Security.Cryptography;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// Pulls and pushes through a proxy that corrupts blobs, drops connections halfway and rate-limits, and through
/// Docker Hub mirrors that are down or lie: each is detected (nothing corrupt stored, nothing named) or recovered from.
/// </summary>
public sealed class RegistryFaultTests(SbuildCli sbuild) : IClassFixture<SbuildCli>, IAsyncLifetime
{
    private readonly TempDirectory _work = new("sbuild-registry-faults-");
    private RegistryServer _registry = null!;
    private FaultyProxy _proxy = null!;
    private OciTestImage _image = null!;

    public async Task InitializeAsync()
    {
        _registry = await RegistryServer.StartOpenAsync(CancellationToken.None);
        _proxy = new FaultyProxy(_registry);
        // 2 MB of random bytes: a layer large enough to be cut in the middle.
        _image = OciTestImage.Write(_work.Combine("img"), "t", "payload.bin", RandomNumberGenerator.GetBytes(2 << 20));
        await RegistrySeed.SkopeoCopyAsync(_image, $"{_registry.Address}/faults/img:1");
        await RegistrySeed.SkopeoCopyAsync(_image, $"{_registry.Address}/library/mirrored:1"); // docker.io/library/mirrored on a mirror
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _registry.DisposeAsync();
        _work.Dispose();
    }

    private string ViaProxy => $"{_proxy.Address}/faults/img:1";

    [Fact]
    public async Task A_corrupted_blob_fails_the_pull_and_nothing_of_it_is_stored()
    {
        _proxy.CorruptBlob(_image.LayerDigest, always: true);
        var store = _work.Combine("corrupt-store");
        try
        {
            var result = await sbuild.RunAsync(["pull", ViaProxy], allowFailure: true, storeRoot: store);
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("error[SB4002]", result.StandardError);
            Assert.Contains(_image.LayerDigest.ToString(), result.StandardError);
            Assert.Contains("nothing was stored", result.StandardError);
        }
        finally
        {
            _proxy.Reset();
        }
        var images = new ImageStore(store);
        Assert.Null(images.Find(ImageReference.Parse(ViaProxy)));
        Assert.False(images.Content.Exists(_image.LayerDigest));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(store, "ingest")));
        Assert.DoesNotContain(images.Content.Walk(), d => !Digest.Of(File.ReadAllBytes(images.Content.PathOf(d))).Equals(d));

        // The same store pulls fine once the proxy behaves.
        await sbuild.RunAsync(["pull", ViaProxy], storeRoot: store);
        Assert.Equal(_image.ManifestDigest, new ImageStore(store).Find(ImageReference.Parse(ViaProxy))!.Manifest.Digest);
    }

    [Fact]
    public async Task A_connection_dropped_halfway_is_resumed_with_a_range_request()
    {
        _proxy.DropBlobAfter(_image.LayerDigest, bytes: 700_000);
        var store = _work.Combine("drop-store");
        try
        {
            await sbuild.RunAsync(["pull", ViaProxy], storeRoot: store);
        }
        finally
        {
            _proxy.Reset();
        }
        Assert.Contains(_proxy.Requests, r => r.PathAndQuery.EndsWith($"/blobs/{_image.LayerDigest}") && r.Range == "bytes=700000-");
        var images = new ImageStore(store);
        Assert.Equal(_image.ManifestDigest, images.Find(ImageReference.Parse(ViaProxy))!.Manifest.Digest);
        Assert.Equal(File.ReadAllBytes(_image.BlobPath(_image.LayerDigest)), File.ReadAllBytes(images.Content.PathOf(_image.LayerDigest)));
    }

    [Fact]
    public async Task A_full_disk_fails_the_pull_as_a_store_error_without_retries_or_leftovers()
    {
        // A 1 MiB tmpfs as the store: the 2 MB layer cannot fit.
        var store = _work.Combine("full-store");
        Directory.CreateDirectory(store);
        await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", store], CancellationToken.None);
        try
        {
            var result = await sbuild.RunAsync(["pull", $"{_registry.Address}/faults/img:1"], allowFailure: true, storeRoot: store);
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("error[SB4007]", result.StandardError);
            Assert.Contains("No space left on device", result.StandardError);
            Assert.DoesNotContain("internal error", result.StandardError);
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(store, "ingest")));
            Assert.Null(new ImageStore(store).Find(ImageReference.Parse($"{_registry.Address}/faults/img:1")));
        }
        finally
        {
            await ProcessRunner.RunAsync("umount", [store], CancellationToken.None);
        }
    }

    [Fact]
    public async Task Rate_limiting_is_reported_with_its_retry_after()
    {
        _proxy.RateLimitManifests(retryAfterSeconds: 30);
        try
        {
            var result = await sbuild.RunAsync(["pull", ViaProxy], allowFailure: true, storeRoot: _work.Combine("limited-store"));
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("error[SB5004]", result.StandardError);
            Assert.Contains("retry after 30 s", result.StandardError);
        }
        finally
        {
            _proxy.Reset();
        }
    }

    [Fact]
    public async Task Docker_hub_mirrors_that_are_down_or_corrupt_fall_back_to_the_next()
    {
        var down = $"http://127.0.0.1:{TestHttpServer.FreePort()}";
        _proxy.CorruptBlob(null, always: true);
        var config = Path.Combine(sbuild.ConfigHome, "sbuild", "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(config)!);
        File.WriteAllText(config, $$"""{"registry-mirrors": ["{{down}}", "{{_proxy.BaseUrl}}", "{{_registry.BaseUrl}}"]}""");
        try
        {
            var store = _work.Combine("mirror-store");
            var result = await sbuild.RunAsync(["pull", "mirrored:1"], storeRoot: store);
            Assert.Contains($"mirror {down} failed", result.StandardError);
            Assert.Contains($"mirror http://{_proxy.Address} failed", result.StandardError);
            Assert.Equal(_image.ManifestDigest, new ImageStore(store).Find(ImageReference.Parse("mirrored:1"))!.Manifest.Digest);

            // --registry-mirror goes before the configured ones.
            File.Delete(config);
            var flag = await sbuild.RunAsync(["pull", "--registry-mirror", down, "--registry-mirror", _registry.BaseUrl, "mirrored:1"],
                storeRoot: _work.Combine("flag-store"));
            Assert.Contains($"mirror {down} failed", flag.StandardError);
        }
        finally
        {
            File.Delete(config);
            _proxy.Reset();
        }
    }

    [Fact]
    public async Task Chunked_uploads_from_the_config_push_in_patches_of_that_size()
    {
        var config = Path.Combine(sbuild.ConfigHome, "sbuild", "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(config)!);
        File.WriteAllText(config, """{"upload-chunk-size": 524288}""");
        var store = _work.Combine("chunk-store");
        try
        {
            await sbuild.RunAsync(["pull", ViaProxy], storeRoot: store);
            var target = $"{_proxy.Address}/chunked/img:1";
            var context = _work.Combine("chunk-ctx");
            Directory.CreateDirectory(context);
            File.WriteAllText(Path.Combine(context, "Dockerfile"), $"FROM {ViaProxy}\nCOPY big.bin /big.bin\n");
            File.WriteAllBytes(Path.Combine(context, "big.bin"), RandomNumberGenerator.GetBytes(1_500_000));
            var push = await sbuild.RunAsync(["-t", target, "--push", context], storeRoot: store);
            Assert.Contains("(2 blobs uploaded, 1 mounted, 0 already there)", push.StandardError);
        }
        finally
        {
            File.Delete(config);
        }
        // The new layer (~1.5 MB of random bytes) went in 3 PATCHes of at most 512 KiB.
        Assert.True(_proxy.Requests.Count(r => r.Method == "PATCH" && r.PathAndQuery.Contains("/chunked/img/blobs/uploads/")) >= 3);
        var local = new ImageStore(store).Find(ImageReference.Parse($"{_proxy.Address}/chunked/img:1"))!;
        Assert.Equal(local.Manifest.Digest.ToString(), await RegistrySeed.SkopeoDigestAsync($"{_registry.Address}/chunked/img:1"));
    }
}
