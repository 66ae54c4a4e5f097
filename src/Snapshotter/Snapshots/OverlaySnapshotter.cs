using System.Globalization;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// Snapshots as overlayfs layers. Each snapshot owns <c>ROOT/ID/fs</c> (its layer: the overlay upper directory, or the
/// whole tree for a snapshot without parent) and <c>ROOT/ID/work</c> (overlay's scratch space). IDs are small numbers
/// so that the lowerdir option of a deep chain stays short (mount options are limited to one page).
/// </summary>
public sealed class OverlaySnapshotter : ISnapshotter
{
    private readonly SnapshotCatalog _catalog;

    public OverlaySnapshotter(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
        _catalog = new SnapshotCatalog(Root);
        RemoveOrphanDirectories();
    }

    public string Root { get; }

    public IReadOnlyList<Mount> Prepare(string key, string? parent) => Create(key, parent, SnapshotKind.Active);

    public IReadOnlyList<Mount> View(string key, string? parent) => Create(key, parent, SnapshotKind.View);

    public IReadOnlyList<Mount> Mounts(string key)
    {
        var content = _catalog.Read();
        return MountsOf(content, key, content.Get(key));
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

    public SnapshotInfo Stat(string key) => Info(key, _catalog.Read().Get(key));

    public bool Exists(string key) => _catalog.Read().Snapshots.ContainsKey(key);

    public IReadOnlyList<SnapshotInfo> List() =>
        _catalog.Read().Snapshots.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => Info(s.Key, s.Value)).ToList();

    /// <summary>
    /// The directory holding <paramref name="key"/>'s own layer: the overlay upper directory (with overlay whiteouts and
    /// opaque markers), or the full tree of a snapshot without parent. Write to it directly only while it is not mounted.
    /// </summary>
    public string UpperDir(string key) => FsDir(_catalog.Read().Get(key).Id);

    private IReadOnlyList<Mount> Create(string key, string? parent, SnapshotKind kind)
    {
        var (content, record) = _catalog.Update(content =>
        {
            if (content.Snapshots.ContainsKey(key)) throw new SnapshotExistsException(key);
            if (parent is not null && content.Get(parent).Kind != SnapshotKind.Committed)
                throw new InvalidOperationException($"snapshot \"{parent}\" is not committed and cannot be a parent");
            var id = content.NextId++;
            CreateDirectories(id);
            var created = new SnapshotRecord(id, kind, parent, DateTimeOffset.UtcNow);
            content.Snapshots[key] = created;
            return (content, created);
        });
        return MountsOf(content, key, record);
    }

    private IReadOnlyList<Mount> MountsOf(CatalogContent content, string key, SnapshotRecord snapshot)
    {
        if (snapshot.Kind == SnapshotKind.Committed)
            throw new InvalidOperationException($"snapshot \"{key}\" is committed; prepare or view a child of it to mount it");
        var lowers = ParentChain(content, snapshot.Parent).Select(FsDir).ToList();
        var readOnly = snapshot.Kind == SnapshotKind.View;

        if (lowers.Count == 0)
            return [new Mount("bind", FsDir(snapshot.Id), ["rbind", readOnly ? "ro" : "rw"])];
        if (readOnly && lowers.Count == 1)
            return [new Mount("bind", lowers[0], ["rbind", "ro"])]; // overlay needs two lowers when it has no upper

        var options = OverlayFeatures.DisabledByDefault().ToList();
        options.Add("lowerdir=" + string.Join(':', lowers.Select(OverlayOptionText.Escape)));
        if (!readOnly)
        {
            options.Add("upperdir=" + OverlayOptionText.Escape(FsDir(snapshot.Id)));
            options.Add("workdir=" + OverlayOptionText.Escape(WorkDir(snapshot.Id)));
        }
        return [new Mount("overlay", "overlay", options)];
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

    private void CreateDirectories(long id)
    {
        var dir = SnapshotDir(id);
        DeleteDirectory(dir); // left by a crash before its catalog entry was saved: the id was never handed out
        Directory.CreateDirectory(FsDir(id));
        Directory.CreateDirectory(WorkDir(id));
        File.SetUnixFileMode(FsDir(id), (UnixFileMode)0b111_101_101); // 0755 whatever the umask: it is the mount's root
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

    private static void DeleteDirectory(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static SnapshotInfo Info(string key, SnapshotRecord r) => new(key, r.Kind, r.Parent, r.Created);

    private string SnapshotDir(long id) => Path.Combine(Root, id.ToString(CultureInfo.InvariantCulture));
    private string FsDir(long id) => Path.Combine(SnapshotDir(id), "fs");
    private string WorkDir(long id) => Path.Combine(SnapshotDir(id), "work");
}
