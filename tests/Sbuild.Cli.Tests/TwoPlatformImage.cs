using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// A two-platform image made of real images: the host's, built on busybox, and another platform's, imported with
/// <c>--platform</c>, each saved with <c>sbuild save --format oci</c> into one OCI layout whose index.json names a
/// nested image index of the two manifests with their platforms (host first), tarred with the `tar` tool as
/// <paramref name="Tar"/> (to <c>sbuild load</c>, which names it <c>multi:1</c>).
/// </summary>
public sealed record TwoPlatformImage(string Tar, Digest Index, HashSet<Digest> Blobs, string HostId, string OtherId,
    Digest HostManifest, Digest OtherManifest)
{
    public static readonly string HostArch = Platform.Host.Architecture;
    public static readonly string OtherArch = HostArch == "arm64" ? "amd64" : "arm64";

    public static async Task<TwoPlatformImage> CreateAsync(SbuildCli sbuild, TempDirectory work)
    {
        var source = work.Combine("source");
        await sbuild.RunAsync(["image", "import", sbuild.BusyboxTar, "busybox:latest"], storeRoot: source, epoch: 0);
        File.WriteAllText(work.Combine("Dockerfile"), "FROM busybox\nRUN echo host > /p\n");
        var hostId = (await sbuild.RunAsync(["build", "-q", "-t", "host:1", work.Path], storeRoot: source, epoch: 1700000000)).StandardOutput.Trim();
        var otherId = (await sbuild.RunAsync(["image", "import", "--platform", $"linux/{OtherArch}", sbuild.BusyboxTar, "other:1"], storeRoot: source, epoch: 0)).StandardOutput.Trim();

        var layout = Directory.CreateDirectory(work.Combine("layout")).FullName;
        var manifests = new List<string>();
        var digests = new List<Digest>();
        foreach (var (name, arch) in new[] { ("host:1", HostArch), ("other:1", OtherArch) })
        {
            var saved = work.Combine(name.Replace(':', '-') + ".tar");
            await sbuild.RunAsync(["save", "--format", "oci", "-o", saved, name], storeRoot: source);
            await ProcessRunner.RunAsync("tar", ["-xf", saved, "-C", layout], CancellationToken.None);
            using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json")));
            var manifest = index.RootElement.GetProperty("manifests")[0];
            digests.Add(Digest.Parse(manifest.GetProperty("digest").GetString()!));
            manifests.Add($"{{\"mediaType\":\"{MediaTypes.OciManifest}\",\"digest\":\"{manifest.GetProperty("digest").GetString()}\",\"size\":{manifest.GetProperty("size").GetInt64()},\"platform\":{{\"architecture\":\"{arch}\",\"os\":\"linux\"}}}}");
        }
        var nested = Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciIndex}\",\"manifests\":[{string.Join(',', manifests)}]}}");
        var digest = Digest.Parse("sha256:" + Convert.ToHexStringLower(SHA256.HashData(nested)));
        File.WriteAllBytes(Path.Combine(layout, "blobs", "sha256", digest.Encoded), nested);
        File.WriteAllText(Path.Combine(layout, "index.json"),
            $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciIndex}\",\"manifests\":[{{\"mediaType\":\"{MediaTypes.OciIndex}\",\"digest\":\"{digest}\",\"size\":{nested.Length},\"annotations\":{{\"io.containerd.image.name\":\"docker.io/library/multi:1\",\"org.opencontainers.image.ref.name\":\"1\"}}}}]}}");
        var blobs = Directory.EnumerateFiles(Path.Combine(layout, "blobs", "sha256")).Select(f => Digest.Parse("sha256:" + Path.GetFileName(f))).ToHashSet();
        var tar = work.Combine("multi.tar");
        await ProcessRunner.RunAsync("tar", ["-cf", tar, "-C", layout, "."], CancellationToken.None);
        return new TwoPlatformImage(tar, digest, blobs, hostId, otherId, digests[0], digests[1]);
    }
}
