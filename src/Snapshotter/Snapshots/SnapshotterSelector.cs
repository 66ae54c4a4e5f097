using System.Text.Json.Serialization;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>The snapshotter a store uses on this host, and a one-line notice for the user when it is not the default.</summary>
public sealed record SnapshotterChoice(SnapshotterKind Kind, string? Notice);

/// <summary>
/// Picks a store's snapshotter: the forced one when given, else overlay if an overlay with its upper and work
/// directories under the store can be mounted on this host, else the copy snapshotter (whose bind mounts need less).
/// overlayfs refuses an upper directory on overlayfs (a store in a container's own file system), and kernels before 5.11
/// refuse overlay mounts inside a user namespace, where bind mounts still work. The probe's verdict is kept in
/// <c>STORE/snapshotter.json</c> per kernel release and file system type of the store, so only the first build on a
/// host pays for it.
/// </summary>
public static class SnapshotterSelector
{
    public static SnapshotterChoice Select(string storeRoot, SnapshotterKind? forced)
    {
        if (forced is { } kind) return new SnapshotterChoice(kind, null);
        var root = Path.GetFullPath(storeRoot);
        var host = OverlayProbeVerdict.ForHost(root);
        var cache = new OverlayProbeCache(Path.Combine(root, "snapshotter.json"));
        var verdict = cache.Find(host);
        if (verdict is null)
        {
            verdict = host with { Failure = ProbeFailure(root, host.FileSystem) };
            cache.Store(verdict);
        }
        return verdict.Failure is null
            ? new SnapshotterChoice(SnapshotterKind.Overlay, null)
            : new SnapshotterChoice(SnapshotterKind.Native, $"overlayfs cannot be mounted on {root} ({verdict.Failure}); using the copy snapshotter (slower)");
    }

    /// <summary>
    /// Mounts an overlay as builds do (the same options, upper and work directories under the store), writes a file and
    /// deletes a lower one through it (a whiteout); null if that works, else why not. Plain directories rather than a
    /// snapshotter keep it to one mount and no catalog writes.
    /// </summary>
    private static string? ProbeFailure(string storeRoot, string fileSystem)
    {
        var work = Path.Combine(StoreLeases.Directory(storeRoot, "tmp"), "overlay-probe-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var (lower, upper, scratch, target) = (Path.Combine(work, "lower"), Path.Combine(work, "upper"), Path.Combine(work, "work"), Path.Combine(work, "mnt"));
            foreach (var dir in new[] { lower, upper, scratch, target }) Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(lower, "lower"), "");
            using (Mounter.MountAll([OverlaySnapshotter.Overlay([lower], (upper, scratch))], target))
            {
                File.WriteAllText(Path.Combine(target, "upper"), "");
                File.Delete(Path.Combine(target, "lower"));
            }
            return null;
        }
        catch (Exception e) when (e is SbuildException or IOException or UnauthorizedAccessException)
        {
            var reason = e is SbuildException { InnerException: IOException cause } ? "mount: " + cause.Message : e.Message;
            return fileSystem == "overlay" ? $"{reason}: the store is itself on overlayfs, which cannot hold an overlay's upper directory" : reason;
        }
        finally
        {
            try
            {
                TreeRemover.Delete(work);
            }
            catch (IOException)
            {
                // Left in tmp/ for the next cleanup; the verdict stands.
            }
        }
    }
}

/// <summary>Whether overlay mounted for a store on this kernel and file system type; <see cref="Failure"/> is null when it did.</summary>
internal sealed record OverlayProbeVerdict
{
    [JsonPropertyName("kernel")] public required string Kernel { get; init; }
    [JsonPropertyName("filesystem")] public required string FileSystem { get; init; }
    [JsonPropertyName("failure")] public string? Failure { get; init; }

    /// <summary>This host's key fields: the running kernel and the type of the file system holding <paramref name="storeRoot"/>.</summary>
    public static OverlayProbeVerdict ForHost(string storeRoot) => new()
    {
        Kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
        FileSystem = new DriveInfo(storeRoot).DriveFormat,
    };
}

/// <summary>Overlay probe verdicts in <c>STORE/snapshotter.json</c> (see <see cref="VerdictFile{TFile, TVerdict}"/>).</summary>
internal sealed class OverlayProbeCache(string file)
{
    private readonly VerdictFile<OverlayProbeCacheFile, OverlayProbeVerdict> _file = new(file, OverlayProbeJsonContext.Default.OverlayProbeCacheFile,
        f => f.Overlay, verdicts => new OverlayProbeCacheFile { Overlay = verdicts });

    public OverlayProbeVerdict? Find(OverlayProbeVerdict host) => _file.Find(v => v.Kernel == host.Kernel && v.FileSystem == host.FileSystem);

    public void Store(OverlayProbeVerdict verdict) => _file.Store(verdict, v => v.Kernel == verdict.Kernel && v.FileSystem == verdict.FileSystem);
}

internal sealed record OverlayProbeCacheFile
{
    [JsonPropertyName("overlay")] public IReadOnlyList<OverlayProbeVerdict> Overlay { get; init; } = [];
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OverlayProbeCacheFile))]
internal sealed partial class OverlayProbeJsonContext : JsonSerializerContext;
