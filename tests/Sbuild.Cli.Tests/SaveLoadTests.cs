using System.Text.Json.Nodes;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// <c>sbuild save</c> and <c>sbuild load</c>: round trips through a second store, archives skopeo reads, and damaged
/// archives that must leave the store exactly as it was.
/// </summary>
public sealed class SaveLoadTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    [Theory]
    [InlineData("docker", "docker-archive", ":saved:1")]
    [InlineData("oci", "oci-archive", ":1")] // skopeo picks an image of a layout by its ref.name, the tag
    public async Task Save_then_load_into_another_store_keeps_the_image_id_and_skopeo_reads_the_archive(string format, string skopeoTransport, string skopeoImage)
    {
        var built = await BuildAsync("saved:1", "RUN echo saved > /s");
        using var work = new TempDirectory("sbuild-save-");
        var archive = work.Combine("saved.tar");
        await sbuild.RunAsync(["save", "--format", format, "-o", archive, "saved:1", "busybox"]);
        await ProcessRunner.RunAsync(Tools.Skopeo, ["copy", "-q", $"{skopeoTransport}:{archive}{skopeoImage}", $"oci:{work.Combine("copy")}:x"], CancellationToken.None);

        var other = work.Combine("store");
        var load = await sbuild.RunAsync(["load", "-i", archive], storeRoot: other);
        Assert.Equal(["Loaded image: saved:1", "Loaded image: busybox:latest"], load.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var store = new ImageStore(other);
        Assert.Equal(built, store.ReadManifest(store.Find(ImageReference.Parse("saved:1"))!.Manifest.Digest).Config.Digest);
    }

    [Fact]
    public async Task Save_without_output_writes_to_a_redirected_standard_output_and_load_reads_standard_input()
    {
        await BuildAsync("piped:1", "RUN echo piped > /p");
        using var work = new TempDirectory("sbuild-pipe-");
        var cli = $"dotnet {Path.Combine(AppContext.BaseDirectory, "sbuild.dll")}";
        var result = await ProcessRunner.RunAsync("sh", ["-c", $"SBUILD_ROOT={sbuild.StoreRoot} {cli} save piped:1 | SBUILD_ROOT={work.Combine("store")} {cli} load"], CancellationToken.None);
        Assert.Equal("Loaded image: piped:1", result.StandardOutput.Trim());
    }

    [Fact]
    public async Task A_truncated_archive_a_digest_mismatch_and_a_missing_blob_are_refused_and_the_store_is_unchanged()
    {
        await BuildAsync("damaged:1", "RUN echo damaged > /d");
        using var work = new TempDirectory("sbuild-damaged-");
        var good = work.Combine("good.tar");
        await sbuild.RunAsync(["save", "--format", "oci", "-o", good, "damaged:1"]);
        var layout = work.Combine("layout");
        Directory.CreateDirectory(layout);
        await ProcessRunner.RunAsync(Tools.Tar, ["-xf", good, "-C", layout], CancellationToken.None);
        var manifestDigest = Digest.Parse(JsonNode.Parse(File.ReadAllText(Path.Combine(layout, "index.json")))!["manifests"]![0]!["digest"]!.GetValue<string>());
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(layout, "blobs/sha256", manifestDigest.Encoded)))!;
        var lastLayer = Digest.Parse(manifest["layers"]!.AsArray()[^1]!["digest"]!.GetValue<string>());

        var truncated = work.Combine("truncated.tar");
        var bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);

        var mismatch = work.Combine("mismatch.tar");
        var layerPath = Path.Combine(layout, "blobs/sha256", lastLayer.Encoded);
        var original = File.ReadAllBytes(layerPath);
        var changed = (byte[])original.Clone();
        changed[^5] ^= 0xff;
        File.WriteAllBytes(layerPath, changed);
        await ProcessRunner.RunAsync(Tools.Tar, ["-cf", mismatch, "-C", layout, "."], CancellationToken.None);

        var missing = work.Combine("missing.tar");
        File.Delete(layerPath);
        await ProcessRunner.RunAsync(Tools.Tar, ["-cf", missing, "-C", layout, "."], CancellationToken.None);

        var store = work.Combine("store");
        await sbuild.RunAsync(["load", "-i", good], storeRoot: store); // a store with something in it already
        await sbuild.RunAsync(["save", "-o", work.Combine("before.tar"), "damaged:1"], storeRoot: store);
        var before = Snapshot(store);
        foreach (var (archive, problem) in new[]
        {
            (truncated, "damaged or truncated"),
            (mismatch, $"blob blobs/sha256/{lastLayer.Encoded} has digest"),
            (missing, $"blob {lastLayer} (application/vnd.oci.image.layer.v1.tar+gzip) is named by a manifest but missing from the archive"),
        })
        {
            var result = await sbuild.RunAsync(["load", "-i", archive], allowFailure: true, storeRoot: work.Combine("store"));
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains($"cannot load {archive}: ", result.StandardError);
            Assert.Contains(problem, result.StandardError);
            Assert.Contains("nothing was loaded", result.StandardError);
            Assert.DoesNotContain("   at ", result.StandardError);
            Assert.Equal(before, Snapshot(store));
        }
    }

    [Fact]
    public async Task Save_of_an_unknown_image_is_refused_and_writes_nothing()
    {
        var unknown = await sbuild.RunAsync(["save", "-o", "/tmp/never.tar", "nosuch:1"], allowFailure: true);
        Assert.Contains("no such image: nosuch:1", unknown.StandardError);
        Assert.False(File.Exists("/tmp/never.tar"));
    }

    [Fact]
    public async Task A_save_killed_while_it_writes_leaves_nothing_beside_the_destination()
    {
        await BuildAsync("big-save:1", "RUN head -c 200000000 /dev/urandom > /big");
        using var output = new TempDirectory("sbuild-save-killed-");
        var destination = output.Combine("big.tar");
        using var save = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "sbuild.dll"), "save", "-o", destination, "big-save:1"])
        {
            RedirectStandardError = true, RedirectStandardOutput = true,
            Environment = { ["SBUILD_ROOT"] = sbuild.StoreRoot, ["XDG_CONFIG_HOME"] = sbuild.ConfigHome },
        })!;

        // Killed once it has a file open in the destination's directory, that is while it writes the archive.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!save.HasExited && !HasFileOpenIn(save.Id, output.Path))
        {
            Assert.True(DateTime.UtcNow < deadline, "the save never opened a file in the destination's directory");
            await Task.Delay(5);
        }
        Assert.False(save.HasExited, "the save ended before it could be killed mid-write");
        save.Kill();
        await save.WaitForExitAsync();

        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(output.Path), entry => entry != destination);
    }

    private static bool HasFileOpenIn(int pid, string directory)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd")
                .Any(fd => new FileInfo(fd).LinkTarget is { } target && target.StartsWith(directory + "/", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // the process is gone, or a descriptor closed while listed
        }
    }

    private async Task<Digest> BuildAsync(string name, string step)
    {
        using var context = new TempDirectory("sbuild-save-ctx-");
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM busybox\n{step}\n");
        var result = await sbuild.RunAsync(["-t", name, context.Path], epoch: 0);
        return Digest.Parse(result.StandardOutput.Trim());
    }

    /// <summary>Every file of the store but its database and scratch space, with its size: what a failed load must not change.</summary>
    private static string Snapshot(string store) => string.Join('\n', Directory.EnumerateFiles(store, "*", SearchOption.AllDirectories)
        .Where(f => !f.Contains("/tmp/") && !Path.GetFileName(f).StartsWith("metadata.db", StringComparison.Ordinal) && !f.EndsWith(".lock", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal).Select(f => $"{Path.GetRelativePath(store, f)} {new FileInfo(f).Length}"));
}
