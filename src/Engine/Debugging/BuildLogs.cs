using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sbuild.Core;

namespace Sbuild.Engine.Debugging;

/// <summary>
/// The full output of every step a build ran, kept under <c>STORE/logs/BUILD-ID/</c>: <c>N.log</c> per step (N counts
/// the build's RUN steps in the order they started) and <c>steps.json</c>, the index naming each step. Only builds
/// that ran a step get a directory (a cached rebuild writes nothing); the last <see cref="KeptBuilds"/> are kept.
/// </summary>
public static class BuildLogs
{
    /// <summary>How many builds' logs are kept: a new build's directory removes the oldest beyond this.</summary>
    public const int KeptBuilds = 20;

    public const string IndexFile = "steps.json";

    public static string RootOf(string storeRoot) => Path.Combine(storeRoot, "logs");

    /// <summary>A new build ID: the UTC start time (so IDs sort by age) and random bits (so two builds never share one).</summary>
    public static string NewBuildId() =>
        DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture) + "-"
        + RandomNames.Hex(3);

    /// <summary>The builds that have logs, oldest first.</summary>
    public static IReadOnlyList<string> Builds(string storeRoot)
    {
        var root = RootOf(storeRoot);
        if (!Directory.Exists(root)) return [];
        return Directory.EnumerateDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The index of build <paramref name="buildId"/>, or null when the store has no logs of it.</summary>
    public static BuildLogIndex? Read(string storeRoot, string buildId)
    {
        if (buildId.Contains('/') || buildId.StartsWith('.')) return null;
        var path = Path.Combine(RootOf(storeRoot), buildId, IndexFile);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), BuildJsonContext.Default.BuildLogIndex);
        }
        catch (JsonException e)
        {
            throw new SbuildException(ErrorCode.StoreCorrupt, $"{path}: not a build log index ({e.Message})");
        }
    }

    public static string StepLogPath(string storeRoot, string buildId, int step) =>
        Path.Combine(RootOf(storeRoot), buildId, step.ToString(CultureInfo.InvariantCulture) + ".log");

    /// <summary>Bytes the logs take.</summary>
    public static long Size(string storeRoot)
    {
        var root = RootOf(storeRoot);
        return Directory.Exists(root)
            ? new DirectoryInfo(root).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
            : 0;
    }

    /// <summary>Removes the logs of builds last written before <paramref name="before"/> (all when null); how many went.</summary>
    public static int Remove(string storeRoot, DateTimeOffset? before)
    {
        var removed = 0;
        foreach (var build in Builds(storeRoot))
        {
            var directory = Path.Combine(RootOf(storeRoot), build);
            if (before is { } limit && Directory.GetLastWriteTimeUtc(directory) > limit.UtcDateTime) continue;
            TreeRemover.Delete(directory);
            removed++;
        }
        return removed;
    }

    /// <summary>Keeps room for one more build: removes the oldest directories beyond <see cref="KeptBuilds"/> - 1.</summary>
    internal static void MakeRoom(string storeRoot)
    {
        var builds = Builds(storeRoot);
        foreach (var old in builds.Take(Math.Max(0, builds.Count - (KeptBuilds - 1))))
            TreeRemover.Delete(Path.Combine(RootOf(storeRoot), old));
    }
}

/// <summary><c>steps.json</c>: the build's ID, when it started and the steps it ran.</summary>
public sealed record BuildLogIndex(
    [property: JsonPropertyName("build")] string Build,
    [property: JsonPropertyName("started")] DateTimeOffset Started,
    [property: JsonPropertyName("steps")] IReadOnlyList<BuildLogStep> Steps);

/// <summary>One step: its number, its progress name, its log file (in the build's directory) and its exit code once it ended.</summary>
public sealed record BuildLogStep(
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("log")] string Log,
    [property: JsonPropertyName("exitCode")] int? ExitCode = null);
