using System.Text.Json;
using Sbuild.Core;

namespace Sbuild.TestSupport;

/// <summary>
/// A base image handed to BuildKit as a named context instead of being pulled (this host has no internet):
/// <c>FROM Name</c> and <c>COPY --from=Name</c> use the manifest <see cref="Manifest"/> of the OCI layout
/// <see cref="LayoutDir"/>. BuildKit looks named contexts up by the image's familiar name without <c>:latest</c>, so
/// <c>FROM busybox</c>, <c>FROM busybox:latest</c> and <c>FROM docker.io/library/busybox</c> all find <c>busybox</c>.
/// </summary>
public sealed record OracleBaseImage(string Name, string LayoutDir, Digest Manifest)
{
    /// <summary>
    /// Puts the image <paramref name="storeName"/> of <paramref name="store"/> (e.g. <c>busybox:latest</c>) into the
    /// OCI layout <paramref name="layoutDir"/> (created if needed; the blobs are copied, so BuildKit never reads sbuild's
    /// store while a test writes to it).
    /// </summary>
    public static OracleBaseImage FromStore(ImageStore store, string storeName, string layoutDir)
    {
        var image = store.Find(ImageReference.Parse(storeName)) ?? throw new InvalidOperationException($"{storeName} is not in the store {store.Root}");
        var blobs = Path.Combine(layoutDir, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        // A multi-platform image brings its index and every platform's manifest, config and layers.
        foreach (var digest in ImageGraph.Reachable(store.Content, image.Manifest).Select(d => d.Digest).Append(image.Manifest.Digest).Distinct())
        {
            var target = Path.Combine(blobs, digest.Encoded);
            if (!File.Exists(target)) File.Copy(store.Content.PathOf(digest), target);
        }
        File.WriteAllText(Path.Combine(layoutDir, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        // The index lists what the layout holds; BuildKit finds the image by digest, so no names are needed.
        var indexPath = Path.Combine(layoutDir, "index.json");
        var manifests = File.Exists(indexPath)
            ? JsonSerializer.Deserialize(File.ReadAllText(indexPath), OciJsonContext.Canonical.ImageIndex)!.Manifests.ToList()
            : [];
        if (!manifests.Any(m => m.Digest == image.Manifest.Digest)) manifests.Add(image.Manifest with { Annotations = null });
        File.WriteAllBytes(indexPath, JsonSerializer.SerializeToUtf8Bytes(new ImageIndex { Manifests = manifests }, OciJsonContext.Canonical.ImageIndex));
        var name = storeName.EndsWith(":latest", StringComparison.Ordinal) ? storeName[..^":latest".Length] : storeName;
        return new OracleBaseImage(name, layoutDir, image.Manifest.Digest);
    }
}

/// <summary>What the reference builder is asked to build.</summary>
public sealed record OracleBuildRequest
{
    public required string ContextDir { get; init; }
    /// <summary>The Dockerfile; <c>ContextDir/Dockerfile</c> when null.</summary>
    public string? DockerfilePath { get; init; }
    /// <summary>The stage to build; the last one when null.</summary>
    public string? Target { get; init; }
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();
    /// <summary>Secrets by id, each the path of the file holding its value (<c>--secret id=ID,src=FILE</c>).</summary>
    public IReadOnlyDictionary<string, string> SecretFiles { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<OracleBaseImage> BaseImages { get; init; } = [];
    /// <summary>Entitlements the build is given (<c>network.host</c>, <c>security.insecure</c>); see <see cref="BuildKitOracle"/>.</summary>
    public IReadOnlyList<string> Allow { get; init; } = [];
    /// <summary>Platforms to build for (<c>--opt platform=</c>; several give an image index); the daemon's host when empty.</summary>
    public IReadOnlyList<string> Platforms { get; init; } = [];
}

/// <summary>
/// The reference sbuild is checked against: Docker BuildKit v0.32.2 with its built-in Dockerfile frontend 1.26.0
/// (what current <c>docker build</c> runs), from <c>../shared/oracle</c>, driven with <c>buildctl</c>.
/// <para>
/// Each build starts from an empty BuildKit cache (<c>buildctl prune --all</c>) and runs with <c>--no-cache</c>, so
/// what a step writes is written by this build: a result cached by an earlier build would carry that build's file
/// times and cache-mount contents, and <c>--no-cache</c> alone does not reach every step (the frontend leaves
/// WORKDIR's mkdir and the cache-mount permission step cacheable). It exports one OCI archive from which both the
/// root file system and the config are read: they describe the same build even when a RUN is not deterministic.
/// </para>
/// </summary>
public sealed class BuildKitOracle
{
    private const string OracleDirName = "oracle";
    private const string UpScript = "buildkitd-up";
    private const string LockPath = "/run/sbuild-oracle-up.lock";
    private const string BuildLockPath = "/run/sbuild-oracle-build.lock";
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static BuildKitOracle? _started;

    // The shared script's daemon grants no entitlements; builds that need one go to a second daemon of the same
    // binaries and worker configuration that allows them, on its own socket and state directory.
    private const string EntitledRun = "/run/sbuild-oracle-entitled";
    private const string EntitledState = "/var/lib/sbuild-oracle-entitled";
    private static readonly SemaphoreSlim EntitledGate = new(1, 1);
    private string? _entitledAddress;

    private readonly string _buildctl;
    private readonly string _address;
    private readonly string _binDir;
    private readonly string _config;

    private BuildKitOracle(string buildctl, string address, string binDir, string config)
    {
        _buildctl = buildctl;
        _address = address;
        _binDir = binDir;
        _config = config;
    }

    /// <summary>
    /// Starts the reference buildkitd with <c>../shared/oracle/buildkitd-up</c> once per test process (the script
    /// reuses a daemon that answers; the daemon is left running, like the test dockerd). A missing piece fails with
    /// what to install.
    /// </summary>
    public static async Task<BuildKitOracle> StartAsync(CancellationToken ct)
    {
        if (_started is { } started) return started;
        await Gate.WaitAsync(ct);
        try
        {
            if (_started is not null) return _started;
            Tools.Require("runc", "apt-get install runc (the reference buildkitd runs its steps with it)");
            var script = Path.Combine(RepoPaths.Shared, OracleDirName, UpScript);
            if (!File.Exists(script))
                throw new MissingToolException($"the reference BuildKit is missing: {script} does not exist (put the shared oracle folder beside the checkout)");
            // Test processes of several projects start at once; one runs the script at a time so they do not race
            // to start two daemons on one socket.
            using var crossProcess = FileLock.Acquire(LockPath, TimeSpan.FromMinutes(2));
            var up = await ProcessRunner.RunAsync(script, [], new ProcessRunOptions { Timeout = TimeSpan.FromMinutes(2) }, ct);
            var exports = up.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(l => l.StartsWith("export ", StringComparison.Ordinal))
                .Select(l => l["export ".Length..].Split('=', 2))
                .ToDictionary(kv => kv[0], kv => kv[1]);
            var address = exports.GetValueOrDefault("BUILDKIT_HOST") ?? throw new InvalidDataException($"{script} printed no BUILDKIT_HOST:\n{up.StandardOutput}");
            var binDir = exports.GetValueOrDefault("PATH")?.Split(':')[0] ?? throw new InvalidDataException($"{script} printed no PATH:\n{up.StandardOutput}");
            var config = address.StartsWith("unix://", StringComparison.Ordinal)
                ? Path.Combine(Path.GetDirectoryName(address["unix://".Length..])!, "buildkitd.toml")
                : throw new InvalidDataException($"{script} printed an address that is no unix socket: {address}");
            return _started = new BuildKitOracle(Tools.Require(Path.Combine(binDir, "buildctl"), $"run {script} (it unpacks buildctl)"), address, binDir, config);
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>
    /// Builds <paramref name="request"/> and returns the image, unpacked. A failing build throws
    /// <see cref="ProcessFailedException"/> whose message holds BuildKit's plain-progress log.
    /// </summary>
    public async Task<OciImage> BuildAsync(OracleBuildRequest request, CancellationToken ct)
    {
        using var output = new TempDirectory("sbuild-oracle-out-");
        var archive = output.Combine("image.tar");
        await BuildArchiveAsync(request, archive, ct);
        return await OciImage.ReadArchiveAsync(archive, ct);
    }

    /// <summary>
    /// Builds <paramref name="request"/> into the OCI archive <paramref name="archive"/>, named <c>sbuild-oracle:1</c>
    /// (for several platforms its index.json names the image index).
    /// </summary>
    public Task BuildArchiveAsync(OracleBuildRequest request, string archive, CancellationToken ct) =>
        BuildToAsync(request, $"type=oci,dest={archive},name=sbuild-oracle:1", ct);

    /// <summary>Builds <paramref name="request"/> to <paramref name="output"/>, a <c>buildctl --output</c> value (type=local,dest=DIR, …).</summary>
    public async Task BuildToAsync(OracleBuildRequest request, string output, CancellationToken ct)
    {
        var dockerfile = request.DockerfilePath ?? Path.Combine(request.ContextDir, "Dockerfile");
        List<string> args =
        [
            "--addr", _address, "build", "--progress=plain", "--no-cache", "--frontend", "dockerfile.v0",
            "--local", $"context={request.ContextDir}", "--local", $"dockerfile={Path.GetDirectoryName(Path.GetFullPath(dockerfile))}",
            "--opt", $"filename={Path.GetFileName(dockerfile)}",
            "--output", output,
        ];
        if (request.Target is { } target) args.AddRange(["--opt", $"target={target}"]);
        foreach (var (name, value) in request.BuildArgs) args.AddRange(["--opt", $"build-arg:{name}={value}"]);
        foreach (var (id, file) in request.SecretFiles) args.AddRange(["--secret", $"id={id},src={file}"]);
        foreach (var entitlement in request.Allow) args.AddRange(["--allow", entitlement]);
        if (request.Platforms.Count > 0) args.AddRange(["--opt", $"platform={string.Join(',', request.Platforms)}"]);
        var address = request.Allow.Count > 0 ? await EntitledAddressAsync(ct) : _address;
        args[1] = address;
        var layouts = request.BaseImages.Select(b => b.LayoutDir).Distinct().Select((dir, i) => (dir, id: $"base{i}")).ToDictionary(x => x.dir, x => x.id);
        foreach (var (dir, id) in layouts) args.AddRange(["--oci-layout", $"{id}={dir}"]);
        foreach (var b in request.BaseImages) args.AddRange(["--opt", $"context:{b.Name}=oci-layout://{layouts[b.LayoutDir]}@{b.Manifest}"]);

        // One build at a time across test processes: another process's prune between two RUNs of this build would
        // empty the cache mounts they share.
        using (FileLock.Acquire(BuildLockPath, BuildTimeout * 2))
        {
            await ProcessRunner.RunAsync(_buildctl, ["--addr", address, "prune", "--all"], ct);
            await ProcessRunner.RunAsync(_buildctl, args, new ProcessRunOptions { Timeout = BuildTimeout }, ct);
        }
    }

    /// <summary>
    /// The daemon that allows <c>network.host</c> and <c>security.insecure</c>: started (detached, like the shared one)
    /// with the shared daemon's worker configuration unless one answers on its socket already.
    /// </summary>
    private async Task<string> EntitledAddressAsync(CancellationToken ct)
    {
        if (_entitledAddress is { } known) return known;
        await EntitledGate.WaitAsync(ct);
        try
        {
            var address = $"unix://{EntitledRun}/buildkitd.sock";
            using var crossProcess = FileLock.Acquire(LockPath, TimeSpan.FromMinutes(2));
            if (!await AnswersAsync(address, ct))
            {
                Directory.CreateDirectory(EntitledRun);
                Directory.CreateDirectory(EntitledState);
                File.Copy(_config, Path.Combine(EntitledRun, "buildkitd.toml"), overwrite: true);
                var daemon = string.Join(' ', new[]
                {
                    Path.Combine(_binDir, "buildkitd"), "--config", Path.Combine(EntitledRun, "buildkitd.toml"), "--root", EntitledState,
                    "--addr", address, "--oci-worker-binary=runc", "--containerd-worker=false",
                    "--allow-insecure-entitlement", "network.host", "--allow-insecure-entitlement", "security.insecure",
                }.Select(a => $"'{a}'"));
                await ProcessRunner.RunAsync("bash", ["-c", $"setsid nohup {daemon} >/tmp/sbuild-oracle-entitled.log 2>&1 </dev/null &"], ct);
                for (var i = 0; i < 150 && !await AnswersAsync(address, ct); i++) await Task.Delay(200, ct);
                if (!await AnswersAsync(address, ct))
                    throw new InvalidOperationException($"the entitled reference buildkitd did not answer on {address}; see /tmp/sbuild-oracle-entitled.log");
            }
            return _entitledAddress = address;
        }
        finally
        {
            EntitledGate.Release();
        }
    }

    private async Task<bool> AnswersAsync(string address, CancellationToken ct) =>
        (await ProcessRunner.RunAsync(_buildctl, ["--addr", address, "debug", "workers"], new ProcessRunOptions { AllowFailure = true, Timeout = TimeSpan.FromSeconds(10) }, ct)).ExitCode == 0;
}
