using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sbuild.Core;
using Sbuild.Frontend;
using Sbuild.Snapshotter;

namespace Sbuild.Engine.Debugging;

/// <summary>
/// A RUN that failed, kept so that <c>sbuild debug shell</c> can enter it: the committed snapshot of its filesystem at
/// the moment it failed (its own changes on top of its parent), the op (command, env, user, workdir, mounts), the
/// inputs its bind and cache mounts read, and the build context it was run with.
/// </summary>
public sealed record KeptFailure(
    [property: JsonPropertyName("build")] string Build,
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("op")] JsonElement Op,
    [property: JsonPropertyName("snapshotter")] string Snapshotter,
    [property: JsonPropertyName("snapshot")] string Snapshot,
    [property: JsonPropertyName("inputs")] IReadOnlyList<FsState> Inputs,
    [property: JsonPropertyName("context")] string ContextDir,
    [property: JsonPropertyName("dockerfile")] string DockerfilePath,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("exitCode")] int ExitCode)
{
    [JsonIgnore]
    public ExecOp ExecOp => JsonSerializer.Deserialize(Op, FrontendJsonContext.Default.Op) as ExecOp
        ?? throw new SbuildException(ErrorCode.StoreCorrupt, $"kept failure {Build} step {Step}: its op is not a RUN");

    [JsonIgnore]
    public SnapshotterKind SnapshotterKind => Snapshotters.Parse(Snapshotter)
        ?? throw new SbuildException(ErrorCode.StoreCorrupt, $"kept failure {Build} step {Step}: unknown snapshotter \"{Snapshotter}\"");

    /// <summary>The snapshots it needs (the failed filesystem and the mounts' inputs): GC and prune keep them while it is kept.</summary>
    [JsonIgnore]
    public IEnumerable<string> Snapshots => Inputs.Select(i => i.Snapshot).OfType<string>().Prepend(Snapshot);
}

/// <summary>
/// The kept failures of a store: <c>STORE/failures/BUILD-ID.STEP.json</c>, each naming a committed <c>failure-…</c>
/// snapshot. Only the last <see cref="Kept"/> are kept; <c>sbuild prune</c> removes them (the snapshots go with the
/// cache's unreferenced ones); <c>sbuild du</c> lists them.
/// </summary>
public static class KeptFailures
{
    /// <summary>How many failures are kept: a new one removes the oldest beyond this.</summary>
    public const int Kept = 5;

    public const string SnapshotPrefix = "failure-";

    public static string RootOf(string storeRoot) => Path.Combine(storeRoot, "failures");

    /// <summary>Every kept failure, oldest first (a record that cannot be read is skipped: its snapshot goes with the next prune).</summary>
    public static IReadOnlyList<KeptFailure> List(string storeRoot)
    {
        var root = RootOf(storeRoot);
        if (!Directory.Exists(root)) return [];
        var failures = new List<KeptFailure>();
        foreach (var file in Directory.EnumerateFiles(root, "*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize(File.ReadAllBytes(file), BuildJsonContext.Default.KeptFailure) is { } failure) failures.Add(failure);
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
            }
        }
        return failures.OrderBy(f => f.Created).ThenBy(f => f.Build, StringComparer.Ordinal).ThenBy(f => f.Step).ToList();
    }

    public static KeptFailure? Find(string storeRoot, string build, int step) =>
        List(storeRoot).FirstOrDefault(f => f.Build == build && f.Step == step);

    internal static void Keep(string storeRoot, KeptFailure failure)
    {
        Directory.CreateDirectory(RootOf(storeRoot));
        AtomicFile.WriteAllBytes(PathOf(storeRoot, failure), JsonSerializer.SerializeToUtf8Bytes(failure, BuildJsonContext.Default.KeptFailure));
        var all = List(storeRoot);
        foreach (var old in all.Take(Math.Max(0, all.Count - Kept)))
        {
            File.Delete(PathOf(storeRoot, old));
            // Its snapshot goes now when nothing uses it (a debug shell on it has a child: then the next prune takes it).
            try
            {
                using var snapshots = SnapshotWorkspace.SnapshotsOf(new ImageStore(storeRoot), old.SnapshotterKind);
                if (snapshots.Exists(old.Snapshot)) snapshots.Remove(old.Snapshot);
            }
            catch (Exception e) when (e is SbuildException or IOException or InvalidOperationException or UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>Forgets the failures kept before <paramref name="before"/> (all when null); their snapshots are then unreferenced.</summary>
    public static IReadOnlyList<KeptFailure> Remove(string storeRoot, DateTimeOffset? before)
    {
        var removed = List(storeRoot).Where(f => before is not { } limit || f.Created <= limit).ToList();
        foreach (var failure in removed) File.Delete(PathOf(storeRoot, failure));
        return removed;
    }

    private static string PathOf(string storeRoot, KeptFailure failure) =>
        Path.Combine(RootOf(storeRoot), $"{failure.Build}.{failure.Step.ToString(CultureInfo.InvariantCulture)}.json");
}
