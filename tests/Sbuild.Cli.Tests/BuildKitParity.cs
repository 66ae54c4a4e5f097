using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>What one Dockerfile gave with both builders; Dispose deletes both unpacked images.</summary>
public sealed class ParityBuild(OciImage expected, OciImage actual, IReadOnlyList<string> differences) : IDisposable
{
    /// <summary>What the reference BuildKit built.</summary>
    public OciImage Expected { get; } = expected;
    /// <summary>What sbuild built.</summary>
    public OciImage Actual { get; } = actual;
    /// <summary>Every difference of the full comparison (<see cref="ImageComparer"/>); empty when the images match.</summary>
    public IReadOnlyList<string> Differences { get; } = differences;

    public void Dispose()
    {
        Expected.Dispose();
        Actual.Dispose();
    }
}

/// <summary>
/// Builds one Dockerfile and context with sbuild and with the reference BuildKit (<see cref="BuildKitOracle"/>) and
/// compares the two images in full: layer count, config and history, root file system. Both take the base images
/// from sbuild's test store (BuildKit as named contexts from an OCI layout), both run every step (<c>--no-cache</c>:
/// a step cached by an earlier test would bring older file times), and both images are read from their OCI archives
/// by the same code.
/// </summary>
public sealed class BuildKitParity(SbuildCli sbuild)
{
    private readonly List<string> _baseImages = ["busybox:latest"];

    /// <summary>Fails listing every difference (xunit's collection message would cut the lines short).</summary>
    /// <summary>
    /// No difference but the <paramref name="intentional"/> ones (each a BuildKit bug sbuild does not copy, listed in
    /// docs/parity.md with its upstream reference), and those exactly: a fixed bug upstream shows up as a failure.
    /// </summary>
    public static void AssertSame(IReadOnlyList<string> differences, params string[] intentional)
    {
        var unexpected = differences.Except(intentional).ToList();
        Assert.True(unexpected.Count == 0, $"{unexpected.Count} differences from the reference BuildKit:\n" + string.Join('\n', unexpected));
        var gone = intentional.Except(differences).ToList();
        Assert.True(gone.Count == 0, "intentional differences that BuildKit no longer shows (update docs/parity.md):\n" + string.Join('\n', gone));
    }

    /// <summary>
    /// Builds <paramref name="dockerfile"/> with sbuild as the store image <paramref name="storeName"/>, which the compared
    /// Dockerfiles may then name in FROM (both builders take it from the store; busybox is always there).
    /// </summary>
    public async Task AddBaseImageAsync(string storeName, string dockerfile)
    {
        using var context = new TempDirectory("sbuild-parity-base-");
        File.WriteAllText(context.Combine("Dockerfile"), dockerfile);
        await sbuild.RunAsync(["-t", storeName, context.Path], epoch: 0);
        if (!_baseImages.Contains(storeName)) _baseImages.Add(storeName);
    }

    /// <summary>
    /// Compares the builds of <paramref name="dockerfile"/> over a context of <paramref name="files"/> (path → content)
    /// and <paramref name="extraContextFiles"/> (path → host file to copy); <paramref name="secrets"/> are secret values
    /// by id; <paramref name="allow"/> are entitlements both builds get (<c>--allow</c>). Returns every difference.
    /// </summary>
    public async Task<IReadOnlyList<string>> CompareAsync(string dockerfile, IReadOnlyDictionary<string, string>? files = null,
        IReadOnlyDictionary<string, string>? buildArgs = null, string? target = null,
        IReadOnlyDictionary<string, string>? extraContextFiles = null, IReadOnlyDictionary<string, string>? secrets = null,
        IReadOnlyList<string>? allow = null)
    {
        using var build = await BuildAsync(dockerfile, files, buildArgs, target, extraContextFiles, secrets, allow);
        return build.Differences;
    }

    /// <summary>Like <see cref="CompareAsync"/>, keeping both images for more checks.</summary>
    public async Task<ParityBuild> BuildAsync(string dockerfile, IReadOnlyDictionary<string, string>? files = null,
        IReadOnlyDictionary<string, string>? buildArgs = null, string? target = null,
        IReadOnlyDictionary<string, string>? extraContextFiles = null, IReadOnlyDictionary<string, string>? secrets = null,
        IReadOnlyList<string>? allow = null)
    {
        using var context = new TempDirectory("sbuild-parity-context-");
        File.WriteAllText(context.Combine("Dockerfile"), dockerfile);
        foreach (var (path, content) in files ?? new Dictionary<string, string>())
        {
            Directory.CreateDirectory(Path.GetDirectoryName(context.Combine(path))!);
            File.WriteAllText(context.Combine(path), content);
        }
        foreach (var (path, hostFile) in extraContextFiles ?? new Dictionary<string, string>())
            File.Copy(hostFile, context.Combine(path));
        return await BuildContextAsync(context.Path, buildArgs, target, secrets, allow);
    }

    /// <summary>Builds the context directory <paramref name="contextDir"/> (its Dockerfile included) with both builders.</summary>
    public async Task<ParityBuild> BuildContextAsync(string contextDir, IReadOnlyDictionary<string, string>? buildArgs = null,
        string? target = null, IReadOnlyDictionary<string, string>? secrets = null, IReadOnlyList<string>? allow = null)
    {
        var oracle = await BuildKitOracle.StartAsync(CancellationToken.None);
        using var work = new TempDirectory("sbuild-parity-");
        var secretFiles = new Dictionary<string, string>();
        foreach (var (id, value) in secrets ?? new Dictionary<string, string>())
        {
            secretFiles[id] = work.Combine($"secret-{id}");
            File.WriteAllText(secretFiles[id], value);
        }
        var layout = work.Combine("base-layout");
        var baseImages = _baseImages.Select(name => OracleBaseImage.FromStore(sbuild.Store, name, layout)).ToList();
        var buildStart = await StartOfNextSecondAsync();

        var archive = work.Combine("sbuild.tar");
        await sbuild.RunAsync([
            "build", "--no-cache", "-t", "parity:1", "-o", $"type=oci,dest={archive}",
            .. (buildArgs ?? new Dictionary<string, string>()).SelectMany(a => new[] { "--build-arg", $"{a.Key}={a.Value}" }),
            .. target is null ? Array.Empty<string>() : ["--target", target],
            .. secretFiles.SelectMany(s => new[] { "--secret", $"id={s.Key},src={s.Value}" }),
            .. (allow ?? []).SelectMany(a => new[] { "--allow", a }),
            contextDir]);
        var actual = await OciImage.ReadArchiveAsync(archive, CancellationToken.None);
        try
        {
            var expected = await oracle.BuildAsync(new OracleBuildRequest
            {
                ContextDir = contextDir,
                Target = target,
                BuildArgs = buildArgs ?? new Dictionary<string, string>(),
                SecretFiles = secretFiles,
                BaseImages = baseImages,
                Allow = allow ?? [],
            }, CancellationToken.None);
            return new ParityBuild(expected, actual, ImageComparer.Compare(expected, actual, new ImageCompareOptions { CompareMtimesOlderThan = buildStart }));
        }
        catch
        {
            actual.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Waits for the next whole second and returns it. Layers store whole-second mtimes, so a file a step writes during
    /// the builds is never older than this, while the context written before it and the base image are: their times
    /// are compared.
    /// </summary>
    private static async Task<UnixTime> StartOfNextSecondAsync()
    {
        var now = DateTimeOffset.UtcNow;
        var next = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds() + 1);
        await Task.Delay(next - now + TimeSpan.FromMilliseconds(5));
        return UnixTime.From(next);
    }
}
