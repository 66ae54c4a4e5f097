using System.Globalization;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// What the snapshotters share: snapshots kept in numbered directories <c>ROOT/ID</c> (each with its files in
/// <c>ROOT/ID/fs</c>), their keys, kinds and parents in the root's <see cref="SnapshotCatalog"/>. IDs are small numbers
/// so that overlay's lowerdir option of a deep chain stays short. Implementations say which directories a snapshot gets,
/// what fills them, and how it is mounted.
/// </summary>
public abstract class DirectorySnapshotter : ISnapshotter
{
    private readonly SnapshotCatalog _catalog;

    private protected DirectorySnapshotter(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
        _catalog = new SnapshotCatalog(Root);
        try
        {
            RemoveOrphanDirectories();
        }
        catch
        {
            _catalog.Dispose();
            throw;
        }
    }

    public string Root { get; }

    public void Dispose() => _catalog.Dispose();

    public IReadOnlyList<Mount> Prepare(string key, string? parent) => Create(key, parent, SnapshotKind.Active);

    public IReadOnlyList<Mount> View(string key, string? parent) => Create(key, parent, SnapshotKind.View);

    public IReadOnlyList<Mount> Mounts(string key)
    {
        var (snapshot, parents) = Lookup(key);
        if (snapshot.Kind == SnapshotKind.Committed)
            throw new InvalidOperationException($"snapshot \"{key}\" is committed; prepare or view a child of it to mount it");
        return MountsOf(key, snapshot, parents);
    }

    public void Commit(string name, string key) =>
        _catalog.Update(content =>
        {
            var active = content.Get(key);
            if (active.Kind != SnapshotKind.Active)
                throw new InvalidOperationException($"snapshot \"{key}\" is {active.Kind.ToString().ToLowerInvariant()}, only active snapshots can be committed");
            if (content.Snapshots.ContainsKey(name)) throw new SnapshotExistsException(name);
            content.Snapshots.Remove(key);
            content.Snapshots[name] = active with { Kind = SnapshotKind.Committed };
            return 0;
        });

    public void Remove(string key)
    {
        // An active or view snapshot is no one else's: its files go first, so that a disk it filled has room again for
        // the catalog's new copy. A crash in between leaves a record without files, removed again by the next recovery.
        var snapshot = _catalog.Find(key);
        if (snapshot is { Kind: not SnapshotKind.Committed }) DeleteDirectory(SnapshotDir(snapshot.Id));
        var removed = _catalog.Update(content =>
        {
            var snapshot = content.Get(key);
            if (content.HasChildren(key))
                throw new InvalidOperationException($"snapshot \"{key}\" cannot be removed: other snapshots are based on it");
            content.Snapshots.Remove(key);
            return snapshot;
        });
        // Deleted after the catalog no longer names it; a crash in between leaves an orphan the next start removes.
        DeleteDirectory(SnapshotDir(removed.Id));
    }

    public SnapshotInfo Stat(string key) => Info(key, _catalog.Find(key) ?? throw new SnapshotNotFoundException(key));

    public bool Exists(string key) => _catalog.Find(key) is not null;

    public IReadOnlyList<SnapshotInfo> List() =>
        _catalog.Read().Snapshots.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => Info(s.Key, s.Value)).ToList();

    public long Usage(string key)
    {
        long total = 0;
        var pending = new Stack<string>();
        pending.Push(FsDir((_catalog.Find(key) ?? throw new SnapshotNotFoundException(key)).Id));
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            if (!Directory.Exists(dir)) continue; // a view's directory, or one whose copy never completed
            foreach (var entry in DirectoryEntries.Paths(dir)) // a RUN's names need not be UTF-8
            {
                if (!Posix.TryLStat(entry, out var st)) continue;
                if (st.Type == Posix.FileStat.Directory) pending.Push(entry);
                else if (st.Type == Posix.FileStat.Regular) total += st.Size;
            }
        }
        return total;
    }

    /// <summary>The snapshot's record and its parent chain's directory ids, nearest first.</summary>
    private protected (SnapshotRecord Snapshot, List<long> Parents) Lookup(string key)
    {
        var chain = _catalog.Chain(key);
        return (chain[0], chain.Skip(1).Select(parent => parent.Id).ToList());
    }

    /// <summary>Creates the directories of new snapshot <paramref name="id"/>; runs under the catalog lock, so it must be quick.</summary>
    private protected abstract void CreateDirectories(long id, SnapshotKind kind, bool hasParent);

    /// <summary>Fills a snapshot registered moments ago, outside the catalog lock (its parents cannot be removed meanwhile).</summary>
    private protected virtual void Populate(SnapshotRecord snapshot, IReadOnlyList<long> parents)
    {
    }

    /// <summary>The mounts of active or view snapshot <paramref name="key"/> whose parent chain (nearest first) is <paramref name="parents"/>.</summary>
    private protected abstract IReadOnlyList<Mount> MountsOf(string key, SnapshotRecord snapshot, IReadOnlyList<long> parents);

    private IReadOnlyList<Mount> Create(string key, string? parent, SnapshotKind kind)
    {
        var (record, parents) = _catalog.Update(content =>
        {
            if (content.Snapshots.ContainsKey(key)) throw new SnapshotExistsException(key);
            if (parent is not null && content.Get(parent).Kind != SnapshotKind.Committed)
                throw new InvalidOperationException($"snapshot \"{parent}\" is not committed and cannot be a parent");
            var id = content.NextId++;
            DeleteDirectory(SnapshotDir(id)); // left by a crash before its catalog entry was saved: the id was never handed out
            CreateDirectories(id, kind, parent is not null);
            var created = new SnapshotRecord(id, kind, parent, DateTimeOffset.UtcNow);
            content.Snapshots[key] = created;
            return (created, ParentChain(content, parent));
        });
        try
        {
            Populate(record, parents);
        }
        catch
        {
            // The files go first: a copy that filled the disk must free it before the catalog can be written again.
            DeleteDirectory(SnapshotDir(record.Id));
            try
            {
                Remove(key);
            }
            catch (Exception e) when (e is IOException or SbuildException)
            {
                // The record stays, naming files that are gone: it cannot be mounted and is removed like one left by a crash.
            }
            throw;
        }
        return MountsOf(key, record, parents);
    }

    /// <summary>Directory ids of <paramref name="parent"/> and its ancestors, nearest first (overlay's lowerdir order: top first).</summary>
    private static List<long> ParentChain(CatalogContent content, string? parent)
    {
        var ids = new List<long>();
        for (var name = parent; name is not null;)
        {
            var record = content.Snapshots.GetValueOrDefault(name)
                ?? throw new SbuildException(ErrorCode.StoreCorrupt, $"snapshot catalog names missing parent snapshot \"{name}\"");
            ids.Add(record.Id);
            name = record.Parent;
        }
        return ids;
    }

    /// <summary>Deletes numbered directories the catalog does not know below its next id: leftovers of an interrupted <see cref="Remove"/>.</summary>
    private void RemoveOrphanDirectories() =>
        _catalog.Inspect(content =>
        {
            var known = content.Snapshots.Values.Select(s => s.Id).ToHashSet();
            foreach (var dir in Directory.EnumerateDirectories(Root))
                if (long.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id < content.NextId && !known.Contains(id))
                    DeleteDirectory(dir);
        });

    private protected static void DeleteDirectory(string dir) => TreeRemover.Delete(dir);

    /// <summary>A new snapshot's tree root: 0755 whatever the umask, as it is the root of a mount.</summary>
    private protected static void CreateTreeRoot(string dir)
    {
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
    }

    private static SnapshotInfo Info(string key, SnapshotRecord r) => new(key, r.Kind, r.Parent, r.Created);

    private protected string SnapshotDir(long id) => Path.Combine(Root, id.ToString(CultureInfo.InvariantCulture));
    private protected string FsDir(long id) => Path.Combine(SnapshotDir(id), "fs");
}
