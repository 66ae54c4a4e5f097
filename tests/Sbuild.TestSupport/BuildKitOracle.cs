using System.Security.Cryptography;
using System.Text.Json;
using Sbuild.Core;

namespace Sbuild.TestSupport;

/// <summary>
/// What BuildKit built: the final root file system, unpacked (owners, modes, links and devices preserved), and the
/// image config exactly as BuildKit wrote it. Dispose deletes the unpacked tree.
/// </summary>
public sealed class OracleResult(TempDirectory workDir, string rootfsDir, ImageConfig config, string configJson, Digest imageId) : IDisposable
{
    public string RootfsDir { get; } = rootfsDir;
    public ImageConfig Config { get; } = config;
    /// <summary>The config blob as BuildKit wrote it, for checks the typed record cannot express (field order, nulls).</summary>
    public string ConfigJson { get; } = configJson;
    /// <summary>Docker's image ID, which is the digest of <see cref="Config"/>'s JSON.</summary>
    public Digest ImageId { get; } = imageId;

    public void Dispose() => workDir.Dispose();
}

/// <summary>
/// Builds a Dockerfile with dockerd's BuildKit to get the reference result sbuild must reproduce.
/// <para>
/// Base images come from docker-archives loaded first: with the default resolve mode BuildKit in dockerd 20.10 uses an
/// image already in the daemon's store and does not contact a registry (checked: FROM busybox builds offline).
/// The rootfs comes from <c>--output type=tar</c>; the config from a second, tagged build of the same Dockerfile, which
/// BuildKit's cache answers without re-running anything, so both describe the same build even if a RUN is not
/// deterministic. The config is read as the raw blob from the daemon's image store rather than through
/// <c>docker image inspect</c>, which pads it with Docker's container-config defaults (Hostname, AttachStdin, …).
/// </para>
/// </summary>
public sealed class BuildKitOracle(DockerClient docker)
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);
    private (string Root, string Driver)? _storeLocation;

    /// <summary>Ensures the test daemon is running and returns an oracle using it.</summary>
    public static async Task<BuildKitOracle> CreateAsync(CancellationToken ct) =>
        new(await DockerDaemon.EnsureStartedAsync(ct));

    public DockerClient Docker { get; } = docker;

    /// <summary>
    /// Loads <paramref name="baseImageArchives"/> (docker-archives, e.g. what sbuild exports of busybox:latest), then
    /// builds <paramref name="dockerfilePath"/> over <paramref name="contextDir"/>, up to <paramref name="target"/>
    /// (null: the last stage) with <paramref name="buildArgs"/>. A failing build throws
    /// <see cref="ProcessFailedException"/> whose message holds BuildKit's plain-progress log.
    /// </summary>
    public async Task<OracleResult> BuildAsync(
        string contextDir, string dockerfilePath, string? target, IReadOnlyDictionary<string, string>? buildArgs,
        IEnumerable<string> baseImageArchives, CancellationToken ct)
    {
        foreach (var archive in baseImageArchives)
        {
            if (!File.Exists(archive)) throw new FileNotFoundException($"base image archive {archive} does not exist", archive);
            await Docker.RunAsync(["load", "-i", archive], ct);
        }

        var work = new TempDirectory("sbuild-oracle-");
        try
        {
            var common = BuildArguments(contextDir, dockerfilePath, target, buildArgs);
            var buildOptions = new ProcessRunOptions { Timeout = BuildTimeout };

            var tag = $"sbuild-oracle:{Guid.NewGuid():N}";
            var idFile = work.Combine("image-id");
            await Docker.RunAsync(["build", "-t", tag, "--iidfile", idFile, .. common], buildOptions, ct);
            var imageId = Digest.Parse((await File.ReadAllTextAsync(idFile, ct)).Trim());
            byte[] configJson;
            try
            {
                configJson = await ReadConfigBlobAsync(imageId, ct);
            }
            finally
            {
                // Only the tag goes; the build cache keeps the layers, so the next build stays fast.
                await Docker.RunAsync(["rmi", tag], new ProcessRunOptions { AllowFailure = true }, ct);
            }

            var tar = work.Combine("rootfs.tar");
            await Docker.RunAsync(["build", "--output", $"type=tar,dest={tar}", .. common], buildOptions, ct);
            var rootfs = work.Combine("rootfs");
            Directory.CreateDirectory(rootfs);
            // As root GNU tar restores owners (numerically, not via this host's passwd) and, with -p, all mode bits.
            await ProcessRunner.RunAsync(Tools.Tar, ["--numeric-owner", "--same-owner", "-xpf", tar, "-C", rootfs], ct);
            File.Delete(tar);
            var config = JsonSerializer.Deserialize(configJson, OciJsonContext.Canonical.ImageConfig)
                ?? throw new InvalidDataException($"the config of {imageId} is not an image config");
            return new OracleResult(work, rootfs, config, System.Text.Encoding.UTF8.GetString(configJson), imageId);
        }
        catch
        {
            work.Dispose();
            throw;
        }
    }

    private static List<string> BuildArguments(
        string contextDir, string dockerfilePath, string? target, IReadOnlyDictionary<string, string>? buildArgs)
    {
        // The daemon has no bridge network, so every build shares the host's network namespace.
        List<string> args = ["--network=host", "--progress=plain", "-f", dockerfilePath];
        if (target is not null) args.AddRange(["--target", target]);
        foreach (var (name, value) in buildArgs ?? new Dictionary<string, string>())
            args.AddRange(["--build-arg", $"{name}={value}"]);
        args.Add(contextDir);
        return args;
    }

    /// <summary>The config blob from <c>DATA-ROOT/image/DRIVER/imagedb/content/sha256/ID</c>, checked against its ID.</summary>
    private async Task<byte[]> ReadConfigBlobAsync(Digest imageId, CancellationToken ct)
    {
        var (root, driver) = _storeLocation ??= await QueryStoreLocationAsync(ct);
        var path = Path.Combine(root, "image", driver, "imagedb", "content", imageId.Algorithm, imageId.Encoded);
        var bytes = await File.ReadAllBytesAsync(path, ct);
        var actual = Digest.FromSha256Bytes(SHA256.HashData(bytes));
        return actual == imageId ? bytes : throw new InvalidDataException($"{path} hashes to {actual}, not to the image ID {imageId}");
    }

    private async Task<(string, string)> QueryStoreLocationAsync(CancellationToken ct)
    {
        var info = await Docker.RunAsync(["info", "--format", "{{.DockerRootDir}}\t{{.Driver}}"], ct);
        var parts = info.StandardOutput.Trim().Split('\t');
        return parts.Length == 2 ? (parts[0], parts[1]) : throw new InvalidDataException($"unexpected docker info output: {info.StandardOutput}");
    }
}
