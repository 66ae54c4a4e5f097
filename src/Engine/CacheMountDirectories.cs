using System.Collections.Concurrent;
using System.Text;
using Sbuild.Core;
using Sbuild.Exporter;
using Sbuild.Frontend;
using Sbuild.Snapshotter;

namespace Sbuild.Engine;

/// <summary>
/// The directories behind <c>RUN --mount=type=cache</c>: <c>STORE/cache-mounts/HASH/N</c>, kept across builds and
/// never part of a layer or a key. HASH is of the id and the cache's base (see <see cref="Acquire"/>). <c>shared</c>
/// hands every RUN instance 0; <c>locked</c> holds instance 0's flock for the whole RUN (other processes and steps
/// wait); <c>private</c> takes the first instance nobody holds.
/// </summary>
public sealed class CacheMountDirectories(string root)
{
    private readonly ConcurrentDictionary<string, bool> _used = new(StringComparer.Ordinal);

    public string Root { get; } = root;

    /// <summary>The caches (directory names under <see cref="Root"/>) this instance handed out.</summary>
    public IReadOnlyCollection<string> Used => (IReadOnlyCollection<string>)_used.Keys;

    /// <summary>
    /// The directory name of <paramref name="mount"/>'s cache: a hash of what BuildKit keys a cache by, its id and its
    /// base (the from= content, or the permissions it sets), so the same Dockerfile names the same cache on any machine.
    /// </summary>
    public static string NameOf(RunMount mount, CacheBase? cacheBase)
    {
        var identity = cacheBase is not null ? mount.CacheId + "\n" + cacheBase.Content
            : mount.CachePermissionsSet ? $"{mount.CacheId}\n{Convert.ToString(mount.Mode, 8)} {mount.Uid}:{mount.Gid}"
            : mount.CacheId!;
        return Digest.Of(Encoding.UTF8.GetBytes(identity)).Encoded[..32];
    }

    /// <summary>The caches the RUNs of <paramref name="target"/>'s graph name without <c>from=</c> (those with one depend
    /// on a stage's content: see <see cref="Used"/>).</summary>
    public static IEnumerable<string> NamesIn(OpNode target)
    {
        var seen = new HashSet<OpNode>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<OpNode>([target]);
        while (pending.TryPop(out var node))
        {
            if (!seen.Add(node)) continue;
            foreach (var input in node.Inputs) pending.Push(input);
            if (node.Op is ExecOp exec)
                foreach (var mount in exec.Mounts.Where(m => m.Type == RunMountType.Cache && m.Input is null))
                    yield return NameOf(mount, null);
        }
    }

    /// <summary>
    /// The directory for <paramref name="mount"/> and what holds it (dispose after the RUN). A cache with a base
    /// (<c>from=</c>) starts as a copy of the base's <c>source</c> directory and is a cache of its own for each base
    /// content, as BuildKit keys such a cache by its id and its base; without one, <c>source</c> is a subdirectory of
    /// the cache.
    /// </summary>
    public (string Directory, IDisposable Hold) Acquire(RunMount mount, CacheBase? cacheBase)
    {
        var name = NameOf(mount, cacheBase);
        _used[name] = true;
        var idDir = Path.Combine(Root, name);
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

    /// <summary>
    /// Each named cache's shared instance (<c>NAME/0</c>) as a layer blob (its tree; the root's mode and owner beside it),
    /// for <c>--cache-to …,cache-mounts=true</c>. Caches that were never made are skipped.
    /// </summary>
    public async Task<IReadOnlyList<CacheMountArchive>> ArchiveAsync(IEnumerable<string> names, IContentStore content, CancellationToken ct)
    {
        var archives = new List<CacheMountArchive>();
        foreach (var name in names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var dir = Path.Combine(Root, name, "0");
            if (!Directory.Exists(dir)) continue;
            using var layer = new LayerBlobWriter(content);
            await TreeArchive.WriteAsync(dir, layer.Stream, ct).ConfigureAwait(false);
            var st = Posix.LStat(dir);
            archives.Add(new CacheMountArchive(name, layer.Commit(), st.Permissions, st.Uid, st.Gid));
        }
        return archives;
    }

    /// <summary>
    /// Makes cache <paramref name="archive"/> from its layer (<paramref name="openTar"/>) unless this store has it: an
    /// imported cache starts a fresh store warm, and never replaces what local builds have put in one. Made aside and
    /// renamed into place, as a new cache is. True when it was restored.
    /// </summary>
    public async Task<bool> RestoreAsync(CacheMountArchive archive, Func<CancellationToken, Task<Stream>> openTar, CancellationToken ct)
    {
        if (archive.Name.Length != 32 || !archive.Name.All(char.IsAsciiHexDigitLower))
            throw new SbuildException(ErrorCode.InvalidArchive, $"cache mount name \"{archive.Name}\" is not a cache mount directory name");
        var idDir = Directory.CreateDirectory(Path.Combine(Root, archive.Name)).FullName;
        var dir = Path.Combine(idDir, "0");
        if (Directory.Exists(dir)) return false;
        var temp = dir + ".new-" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(temp);
        try
        {
            await using (var tar = await openTar(ct).ConfigureAwait(false))
                await LayerApplier.ApplyAsync(tar, temp, WhiteoutHandling.Delete, ct).ConfigureAwait(false);
            Posix.Chmod(temp, archive.Mode);
            Posix.LChown(temp, archive.Uid, archive.Gid);
            Directory.Move(temp, dir);
            return true;
        }
        catch (IOException) when (Directory.Exists(dir))
        {
            TreeRemover.Delete(temp); // a build made it meanwhile
            return false;
        }
        catch
        {
            TreeRemover.Delete(temp);
            throw;
        }
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

/// <summary>A cache mount's content as a layer blob: <paramref name="Name"/> is its directory under <c>cache-mounts/</c>,
/// <paramref name="Mode"/>, <paramref name="Uid"/> and <paramref name="Gid"/> those of the directory itself.</summary>
public sealed record CacheMountArchive(
    [property: System.Text.Json.Serialization.JsonPropertyName("name")] string Name,
    [property: System.Text.Json.Serialization.JsonPropertyName("layer")] LayerBlob Layer,
    [property: System.Text.Json.Serialization.JsonPropertyName("mode")] uint Mode,
    [property: System.Text.Json.Serialization.JsonPropertyName("uid")] uint Uid,
    [property: System.Text.Json.Serialization.JsonPropertyName("gid")] uint Gid);
