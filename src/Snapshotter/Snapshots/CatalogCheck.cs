using System.Globalization;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// <c>sbuild doctor</c>'s check of one snapshotter root: the catalog is readable, each snapshot's directory (and a
/// committed one's tree) exists, none is active or a view (only a running build has those), each parent exists, each numbered directory belongs to a snapshot. With repair: an
/// unreadable catalog is kept beside as <c>catalog.db.corrupt</c> and replaced by an empty one (its directories then
/// belong to no snapshot), snapshots whose files or parent are gone are dropped with their descendants, and
/// directories of no snapshot are deleted. Run it with no other process using the store.
/// </summary>
public static class CatalogCheck
{
    public static IReadOnlyList<string> Run(string root, bool repair, Action<string> repaired)
    {
        var problems = new List<string>();
        if (!Directory.Exists(root)) return problems;
        SnapshotCatalog catalog;
        try
        {
            catalog = Open(root);
        }
        catch (SbuildException e) when (e.Code == ErrorCode.StoreCorrupt)
        {
            problems.Add(e.Message);
            if (!repair) return problems;
            var path = Path.Combine(root, SnapshotCatalog.FileName);
            foreach (var suffix in (string[])["", "-wal", "-shm"])
                if (File.Exists(path + suffix)) File.Move(path + suffix, path + ".corrupt" + suffix, overwrite: true);
            catalog = Open(root);
            var next = NumberedDirectories(root).Select(d => d.Id).DefaultIfEmpty(0).Max() + 1;
            catalog.Update(content => content.NextId = next);
            repaired($"{path}: replaced by an empty catalog (the unreadable one is {path}.corrupt); its snapshots' directories are removed below");
        }
        using var _ = catalog;
        Action<Func<CatalogContent, int>> visit = repair ? change => catalog.Update(change) : change => catalog.Inspect(c => change(c));
        visit(content =>
        {
            var broken = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (key, snapshot) in content.Snapshots)
            {
                var dir = Path.Combine(root, snapshot.Id.ToString(CultureInfo.InvariantCulture));
                if (snapshot.Kind != SnapshotKind.Committed)
                {
                    // Only a running build has active or view snapshots, and the caller holds the store alone.
                    problems.Add($"snapshot \"{key}\" in {root}: {snapshot.Kind.ToString().ToLowerInvariant()}, left by a build that ended");
                    broken.Add(key);
                }
                else if (!Directory.Exists(Path.Combine(dir, "fs")))
                {
                    problems.Add($"snapshot \"{key}\" in {root}: its directory {dir} is missing or incomplete");
                    broken.Add(key);
                }
                else if (snapshot.Parent is { } parent && !content.Snapshots.ContainsKey(parent))
                {
                    problems.Add($"snapshot \"{key}\" in {root}: its parent \"{parent}\" is missing");
                    broken.Add(key);
                }
            }
            // Descendants of a broken snapshot are broken too.
            for (var grown = true; grown;)
            {
                grown = false;
                foreach (var (key, snapshot) in content.Snapshots)
                    if (snapshot.Parent is { } parent && broken.Contains(parent) && broken.Add(key)) grown = true;
            }
            if (repair)
                foreach (var key in broken)
                {
                    TreeRemover.Delete(Path.Combine(root, content.Snapshots[key].Id.ToString(CultureInfo.InvariantCulture)));
                    content.Snapshots.Remove(key);
                    repaired($"snapshot \"{key}\" in {root}: removed");
                }
            var known = content.Snapshots.Values.Select(s => s.Id).ToHashSet();
            foreach (var (id, dir) in NumberedDirectories(root))
            {
                if (known.Contains(id)) continue;
                problems.Add($"directory {dir} belongs to no snapshot");
                if (!repair) continue;
                TreeRemover.Delete(dir);
                repaired($"directory {dir}: removed");
            }
            content.NextId = Math.Max(content.NextId, NumberedDirectories(root).Select(d => d.Id).DefaultIfEmpty(0).Max() + 1);
            return 0;
        });
        return problems;
    }

    /// <summary>The catalog, read once: a file that is not a readable catalog fails here (StoreCorrupt).</summary>
    private static SnapshotCatalog Open(string root)
    {
        var catalog = new SnapshotCatalog(root);
        try
        {
            catalog.Read();
            return catalog;
        }
        catch
        {
            catalog.Dispose();
            throw;
        }
    }

    private static IEnumerable<(long Id, string Dir)> NumberedDirectories(string root) =>
        Directory.EnumerateDirectories(root)
            .Select(dir => (Ok: long.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var id), Id: id, Dir: dir))
            .Where(d => d.Ok).Select(d => (d.Id, d.Dir)).ToList();
}
