using System.Text;
using Sbuild.Core;
using Sbuild.Frontend;

namespace Sbuild.Engine;

/// <summary>
/// The directories behind <c>RUN --mount=type=cache</c>: <c>STORE/cache-mounts/HASH/N</c>, kept across builds and
/// never part of a layer or a key. HASH is of the id, or of the id and the permissions for a mount that sets them
/// (BuildKit keys such a cache by the id and the directory made with those permissions). <c>shared</c> hands every RUN instance 0; <c>locked</c> holds instance 0's flock for
/// the whole RUN (other processes and steps wait); <c>private</c> takes the first instance nobody holds.
/// </summary>
public sealed class CacheMountDirectories(string root)
{
    public string Root { get; } = root;

    /// <summary>The directory for <paramref name="mount"/> and what holds it (dispose after the RUN).</summary>
    public (string Directory, IDisposable Hold) Acquire(RunMount mount)
    {
        var identity = mount.CachePermissionsSet ? $"{mount.CacheId}\n{Convert.ToString(mount.Mode, 8)} {mount.Uid}:{mount.Gid}" : mount.CacheId!;
        var idDir = Path.Combine(Root, Digest.Of(Encoding.UTF8.GetBytes(identity)).Encoded[..32]);
        Directory.CreateDirectory(idDir);
        switch (mount.Sharing)
        {
            case CacheSharing.Locked:
                var held = FileLock.TryHold(Path.Combine(idDir, "0.lock"), exclusive: true, TimeSpan.FromHours(1))
                    ?? throw new SbuildException(ErrorCode.StoreBusy, $"cache mount {mount.CacheId} stayed locked by another build for an hour");
                return (Create(idDir, 0, mount), held);
            case CacheSharing.Private:
                for (var instance = 0; ; instance++)
                    if (FileLock.TryHold(Path.Combine(idDir, $"{instance}.lock"), exclusive: true, TimeSpan.Zero) is { } free)
                        return (Create(idDir, instance, mount), free);
            default:
                return (Create(idDir, 0, mount), Nothing.Instance);
        }
    }

    private static string Create(string idDir, int instance, RunMount mount)
    {
        var dir = Path.Combine(idDir, instance.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Directory.Exists(dir)) return dir;
        // Made aside and renamed into place, so a concurrent RUN never sees it before its owner and mode are set.
        var temp = dir + ".new-" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(temp);
        Posix.Chmod(temp, mount.Mode);
        Posix.LChown(temp, mount.Uid, mount.Gid);
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
