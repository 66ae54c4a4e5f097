namespace Sbuild.Snapshotter;

/// <summary>
/// Snapshots as plain directory trees, for hosts where overlayfs cannot be mounted (a store on overlayfs inside a
/// container, an unprivileged container): containerd's "native" snapshotter. An active snapshot owns <c>ROOT/ID/fs</c>,
/// a full copy of its parent's tree made when it is prepared (<see cref="TreeCopier"/>: reflinked where the file system
/// can, copied otherwise) and bind-mounted read-write; its <c>ROOT/ID/copy-record</c> lets the differ skip what the
/// step did not touch. A view binds its parent's tree read-only (committed trees never change, so no copy is needed).
/// Slower and larger than overlay snapshots, but without a depth limit.
/// </summary>
public sealed class NativeSnapshotter(string root) : DirectorySnapshotter(root)
{
    /// <summary>The tree of <paramref name="key"/>: a committed or active snapshot's own full tree.</summary>
    public string Tree(string key) => FsDir(Lookup(key).Snapshot.Id);

    /// <summary>What the differ of <paramref name="key"/> compares: its tree, its parent's tree (null without a parent) and how it was copied.</summary>
    internal (string Tree, string? ParentTree, CopyRecord? Copy) DiffSources(string key)
    {
        var (snapshot, parents) = Lookup(key);
        return parents.Count == 0
            ? (FsDir(snapshot.Id), null, null)
            : (FsDir(snapshot.Id), FsDir(parents[0]), CopyRecord.Read(CopyRecordFile(snapshot.Id)));
    }

    private protected override void CreateDirectories(long id, SnapshotKind kind, bool hasParent)
    {
        Directory.CreateDirectory(SnapshotDir(id));
        if (!hasParent) CreateTreeRoot(FsDir(id)); // empty: nothing to copy, and a view of nothing binds it
    }

    /// <summary>
    /// Copies the parent's tree into <c>fs.partial</c> and renames it to <c>fs</c> when complete, so an interrupted copy
    /// never shows as a tree (mounting the snapshot fails instead, and removing it deletes the partial copy).
    /// </summary>
    private protected override void Populate(SnapshotRecord snapshot, IReadOnlyList<long> parents)
    {
        if (snapshot.Kind != SnapshotKind.Active || parents.Count == 0) return;
        var partial = FsDir(snapshot.Id) + ".partial";
        var directories = TreeCopier.Copy(FsDir(parents[0]), partial);
        Directory.Move(partial, FsDir(snapshot.Id));
        CopyRecord.Write(CopyRecordFile(snapshot.Id), directories);
    }

    private protected override IReadOnlyList<Mount> MountsOf(string key, SnapshotRecord snapshot, IReadOnlyList<long> parents) =>
        snapshot.Kind == SnapshotKind.View
            ? [new Mount("bind", FsDir(parents.Count > 0 ? parents[0] : snapshot.Id), ["rbind", "ro"])]
            : [new Mount("bind", FsDir(snapshot.Id), ["rbind", "rw"])];

    private string CopyRecordFile(long id) => Path.Combine(SnapshotDir(id), "copy-record");
}
