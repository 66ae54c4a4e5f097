using Sbuild.Core;
namespace Sbuild.Runner;

/// <summary>The runtime creates missing mount targets (an empty /etc/hosts, and /etc itself if needed) inside the
/// rootfs. Like BuildKit, record which of them did not exist before the run and remove them afterwards while they are
/// still empty, so they do not end up in the layer. The parent's timestamps are kept, for reproducible layers.</summary>
/// <remarks>BuildKit cleans only /etc/hosts, /etc/resolv.conf and the step's own mounts: the /proc, /dev and /sys
/// mount points a runtime creates do stay in docker build's layers (moby/buildkit#3455, #7039), and so here.</remarks>
public sealed class MountStubs
{
    private readonly IReadOnlyList<string> _candidates;

    private MountStubs(IReadOnlyList<string> candidates) => _candidates = candidates;

    /// <summary>Host paths that did not exist when recorded, deepest first.</summary>
    public IReadOnlyList<string> Candidates => _candidates;

    /// <summary>Container paths whose stubs are cleaned for a spec.</summary>
    public static IReadOnlyList<string> CleanedDestinations(RunSpec spec) =>
        ["/etc/resolv.conf", "/etc/hosts", .. spec.Mounts.Select(m => m.Destination).Concat(spec.Tmpfs.Select(m => m.Destination)).Select(OciSpecBuilder.NormalizeDestination)];

    /// <summary>Call before the run: notes each destination (and each parent dir) missing under <paramref name="rootfs"/>.</summary>
    public static MountStubs Record(string rootfs, IEnumerable<string> destinations)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootfs));
        var missing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var destination in destinations)
        {
            var path = RootPath.Resolve(root, destination, followFinal: true);
            while (path.Length > root.Length && !Exists(path))
            {
                missing.Add(path);
                path = Path.GetDirectoryName(path)!;
            }
        }
        return new MountStubs([.. missing.OrderByDescending(p => p.Count(c => c == '/')).ThenBy(p => p, StringComparer.Ordinal)]);
    }

    /// <summary>Call after the container is gone: removes the recorded paths that are still empty files or dirs.
    /// Best effort, like BuildKit: a stub that cannot be removed only costs an empty entry in the layer.</summary>
    public void Remove()
    {
        foreach (var path in _candidates)
        {
            try
            {
                RemoveKeepingParentTimes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static void RemoveKeepingParentTimes(string path)
    {
        if (!IsEmptyStub(path))
            return;
        var parent = new DirectoryInfo(Path.GetDirectoryName(path)!);
        var accessed = parent.LastAccessTimeUtc;
        var modified = parent.LastWriteTimeUtc;
        if (Directory.Exists(path))
            Directory.Delete(path);
        else
            File.Delete(path);
        parent.LastAccessTimeUtc = accessed;
        parent.LastWriteTimeUtc = modified;
    }

    private static bool Exists(string path) => Path.Exists(path) || new FileInfo(path).LinkTarget is not null;

    private static bool IsEmptyStub(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
            return false;
        if (Directory.Exists(path))
            return !Directory.EnumerateFileSystemEntries(path).Any();
        return info.Exists && info.Length == 0;
    }
}
