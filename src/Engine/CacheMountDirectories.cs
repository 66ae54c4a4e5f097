using System.Text;
using Sbuild.Core;
using Sbuild.Frontend;

namespace Sbuild.Engine;

/// <summary>
/// The directories behind <c>RUN --mount=type=cache</c>: <c>STORE/cache-mounts/HASH/N</c>, kept across builds and
/// never part of a layer or a key. HASH is of the id and the cache's base (see <see cref="Acquire"/>). <c>shared</c>
/// hands every RUN instance 0; <c>locked</c> holds instance 0's flock for the whole RUN (other processes and steps
/// wait); <c>private</c> takes the first instance nobody holds.
/// </summary>
public sealed class CacheMountDirectories(string root)
{
    public string Root { get; } = root;

    /// <summary>
    /// The directory for <paramref name="mount"/> and what holds it (dispose after the RUN). A cache with a base
    /// (<c>from=</c>) starts as a copy of the base's <c>source</c> directory and is a cache of its own for each base
    /// content, as BuildKit keys such a cache by its id and its base; without one, <c>source</c> is a subdirectory of
    /// the cache.
    /// </summary>
    public (string Directory, IDisposable Hold) Acquire(RunMount mount, CacheBase? cacheBase)
    {
        // BuildKit keys a cache by its id and its base: the from= content, or the directory it makes when the mount
        // sets permissions (which from= overrides).
        var identity = cacheBase is not null ? mount.CacheId + "\n" + cacheBase.Content
            : mount.CachePermissionsSet ? $"{mount.CacheId}\n{Convert.ToString(mount.Mode, 8)} {mount.Uid}:{mount.Gid}"
            : mount.CacheId!;
        var idDir = Path.Combine(Root, Digest.Of(Encoding.UTF8.GetBytes(identity)).Encoded[..32]);
        Directory.CreateDirectory(idDir);
        var (dir, hold) = mount.Sharing switch
        {
            CacheSharing.Locked => (Create(idDir, 0, mount, cacheBase),
                FileLock.TryHold(Path.Combine(idDir, "0.lock"), exclusive: true, TimeSpan.FromHours(1))
                    ?? throw new SbuildException(ErrorCode.StoreBusy, $"cache mount {mount.CacheId} stayed locked by another build for an hour")),
            CacheSharing.Private => TakeFreeInstance(idDir, mount, cacheBase),
            _ => (Create(idDir, 0, mount, cacheBase), Nothing.Instance),
        };
        if (cacheBase is not null || mount.Source.Length == 0) return (dir, hold);
        var sub = RootPath.Resolve(dir, mount.Source, followFinal: true);
        Directory.CreateDirectory(sub);
        return (sub, hold);
    }

    private static (string, IDisposable) TakeFreeInstance(string idDir, RunMount mount, CacheBase? cacheBase)
    {
        for (var instance = 0; ; instance++)
            if (FileLock.TryHold(Path.Combine(idDir, $"{instance}.lock"), exclusive: true, TimeSpan.Zero) is { } free)
                return (Create(idDir, instance, mount, cacheBase), free);
    }

    private static string Create(string idDir, int instance, RunMount mount, CacheBase? cacheBase)
    {
        var dir = Path.Combine(idDir, instance.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Directory.Exists(dir)) return dir;
        // Made aside and renamed into place, so a concurrent RUN never sees it before its content, owner and mode are set.
        var temp = dir + ".new-" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(temp);
        if (cacheBase is null)
        {
            Posix.Chmod(temp, mount.Mode);
            Posix.LChown(temp, mount.Uid, mount.Gid);
        }
        else
        {
            cacheBase.CopyTo(temp);
        }
        try
        {
            Directory.Move(temp, dir);
        }
        catch (IOException) when (Directory.Exists(dir))
        {
            Directory.Delete(temp); // another RUN created it first
        }
        return dir;
    }

    private sealed class Nothing : IDisposable
    {
        public static readonly Nothing Instance = new();
        public void Dispose() { }
    }
}

/// <summary>
/// What a cache mount with <c>from=</c> starts from: the directory <paramref name="SourceDir"/> (inside a view of the
/// stage or image), whose selected content has the digest <paramref name="Content"/>.
/// </summary>
public sealed record CacheBase(string Content, string SourceDir)
{
    /// <summary>Copies the directory's content, owners and modes (its own included) into <paramref name="destination"/>.</summary>
    public void CopyTo(string destination)
    {
        FileCopier.Copy(SourceDir, new CopySelection(["."]), destination, "/", new CopyOwnership(null, null, null, PreserveOwnership: true));
        var st = Posix.LStat(SourceDir);
        Posix.Chmod(destination, st.Permissions);
        Posix.LChown(destination, st.Uid, st.Gid);
    }
}
