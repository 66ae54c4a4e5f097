using System.Globalization;

namespace Sbuild.Core;

/// <summary>
/// Which process a store's work in progress belongs to, so that what a killed process left is reclaimed and what a
/// running one is using is never touched. Each process that writes to a store holds a lease there: the file
/// <c>leases/ID</c>, locked (flock) for the life of the process. The kernel drops the lock when the process dies,
/// however it dies, so "the lock can be taken" means "the owner is gone" — with no PID reuse to detect (the ID also has
/// random bits) and across PID namespaces (two containers sharing a store). Everything the process makes in the
/// store carries the ID: its directories <c>tmp/ID/</c> (scratch, runtime bundles) and <c>mnt/ID/</c> (mount points),
/// ingest files <c>ingest/ID-…</c>, snapshot keys and names <c>KIND-ID-…</c>, and bundles of secret-holding runs
/// <c>/dev/shm/sbuild-ID-…</c>.
/// </summary>
public static class StoreLeases
{
    private static readonly Dictionary<string, FileLock> Held = new(StringComparer.Ordinal);
    private static readonly HashSet<string> Kept = new(StringComparer.Ordinal);

    /// <summary>This process's lease ID: its PID (for people reading the store) and random bits (for uniqueness).</summary>
    public static string Id { get; } =
        Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "." + RandomNames.Hex(4);

    /// <summary>The prefix of this process's names in <paramref name="storeRoot"/> (<c>ID-</c>); holds the lease first.</summary>
    public static string Tag(string storeRoot)
    {
        Hold(storeRoot);
        return TagOf(Id);
    }

    public static string TagOf(string id) => id + "-";

    /// <summary>This process's own directory under <c>STORE/AREA</c> (<c>tmp</c>, <c>mnt</c>), created; holds the lease first.</summary>
    public static string Directory(string storeRoot, string area)
    {
        Hold(storeRoot);
        return System.IO.Directory.CreateDirectory(Path.Combine(Path.GetFullPath(storeRoot), area, Id)).FullName;
    }

    /// <summary>
    /// Takes the lease of <paramref name="storeRoot"/> for this process if it has none there yet. The lock file is
    /// made and locked under a hidden name and then renamed into place, so a lease file is never seen unlocked while
    /// its owner lives.
    /// </summary>
    public static void Hold(string storeRoot)
    {
        var leases = LeaseDirectory(storeRoot);
        lock (Held)
        {
            if (Held.ContainsKey(leases)) return;
            System.IO.Directory.CreateDirectory(leases);
            var hidden = Path.Combine(leases, "." + Id);
            var hold = FileLock.TryHold(hidden, exclusive: true, TimeSpan.Zero)
                       ?? throw new SbuildException(ErrorCode.FileSystem, $"lease {hidden} is locked by another process");
            File.Move(hidden, Path.Combine(leases, Id));
            Held[leases] = hold;
        }
    }

    /// <summary>Something of this process could not be cleaned up (a full disk): at exit the lease file stays, unlocked,
    /// so that the next start reclaims all this process's work as a dead process's.</summary>
    public static void KeepForRecovery(string storeRoot)
    {
        lock (Held) Kept.Add(LeaseDirectory(storeRoot));
    }

    /// <summary>
    /// Ends this process's lease on <paramref name="storeRoot"/> at a normal exit: its directories go (nothing of them
    /// is in use any more), then the lease file. What cannot be removed stays for the next start to reclaim.
    /// </summary>
    public static void Release(string storeRoot)
    {
        var leases = LeaseDirectory(storeRoot);
        lock (Held)
        {
            if (!Held.Remove(leases, out var hold)) return;
            using (hold)
            {
                if (Kept.Contains(leases)) return;
                foreach (var area in (string[])["tmp", "mnt"])
                    TreeRemover.Delete(Path.Combine(Path.GetFullPath(storeRoot), area, Id));
                File.Delete(Path.Combine(leases, Id));
            }
        }
    }

    /// <summary>Ends every lease of this process (see <see cref="Release"/>); errors are left for the next start.</summary>
    public static void ReleaseAll()
    {
        List<string> roots;
        lock (Held) roots = Held.Keys.Select(leases => Path.GetDirectoryName(leases)!).ToList();
        foreach (var root in roots)
        {
            try
            {
                Release(root);
            }
            catch (Exception e) when (e is IOException or SbuildException or UnauthorizedAccessException)
            {
                // A mount still busy, a file gone read-only: the lease stays and the next start reclaims it.
            }
        }
    }

    /// <summary>
    /// The leases of <paramref name="storeRoot"/> whose process is gone, each locked by the caller until disposed (so
    /// two processes never reclaim the same one). Dispose each after reclaiming what it names; <see cref="DeadLease.Ended"/>
    /// deletes its file.
    /// </summary>
    public static IEnumerable<DeadLease> Dead(string storeRoot)
    {
        var leases = LeaseDirectory(storeRoot);
        if (!System.IO.Directory.Exists(leases)) yield break;
        foreach (var file in System.IO.Directory.EnumerateFiles(leases))
        {
            var name = Path.GetFileName(file);
            if (name == Id) continue;
            if (name.StartsWith('.'))
            {
                // A lease being made (locked, about to be renamed) or one whose maker died before the rename.
                if (File.GetLastWriteTimeUtc(file) < DateTime.UtcNow.AddMinutes(-1)
                    && FileLock.TryHold(file, exclusive: true, TimeSpan.Zero) is { } stale)
                    using (stale)
                        File.Delete(file);
                continue;
            }
            if (FileLock.TryHold(file, exclusive: true, TimeSpan.Zero) is { } hold)
                yield return new DeadLease(name, file, hold);
        }
    }

    private static string LeaseDirectory(string storeRoot) => Path.Combine(Path.GetFullPath(storeRoot), "leases");
}

/// <summary>The lease of a process that is gone, locked by the process reclaiming it.</summary>
public sealed class DeadLease(string id, string path, FileLock hold) : IDisposable
{
    public string Id { get; } = id;

    /// <summary>The prefix of its names (<c>ID-</c>).</summary>
    public string Tag => StoreLeases.TagOf(Id);

    /// <summary>Everything the lease named is gone: its file goes too.</summary>
    public void Ended() => File.Delete(path);

    public void Dispose() => hold.Dispose();
}
