using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// Snapshots as overlayfs layers. Each snapshot owns <c>ROOT/ID/fs</c> (its layer: the overlay upper directory, or the
/// whole tree for a snapshot without parent) and <c>ROOT/ID/work</c> (overlay's scratch space).
/// </summary>
public sealed class OverlaySnapshotter(string root) : DirectorySnapshotter(root)
{
    /// <summary>overlayfs stacks at most this many lower layers (OVL_MAX_STACK in the kernel).</summary>
    public const int MaxLowerLayers = 500;

    /// <summary>
    /// The directory holding <paramref name="key"/>'s own layer: the overlay upper directory (with overlay whiteouts and
    /// opaque markers), or the full tree of a snapshot without parent. Write to it directly only while it is not mounted.
    /// </summary>
    public string UpperDir(string key) => FsDir(Lookup(key).Snapshot.Id);

    /// <summary>Read-only mounts of <paramref name="key"/>'s parent tree (what its layer is compared with); none without a parent.</summary>
    internal IReadOnlyList<Mount> ParentMounts(string key)
    {
        var (_, parents) = Lookup(key);
        return parents.Count == 0 ? [] : LowerMounts(key, parents.Select(FsDir).ToList(), upper: null);
    }

    private protected override void CreateDirectories(long id, SnapshotKind kind, bool hasParent)
    {
        CreateTreeRoot(FsDir(id));
        Directory.CreateDirectory(WorkDir(id));
    }

    private protected override IReadOnlyList<Mount> MountsOf(string key, SnapshotRecord snapshot, IReadOnlyList<long> parents)
    {
        var readOnly = snapshot.Kind == SnapshotKind.View;
        if (parents.Count == 0)
            return [new Mount("bind", FsDir(snapshot.Id), ["rbind", readOnly ? "ro" : "rw"])];
        return LowerMounts(key, parents.Select(FsDir).ToList(), readOnly ? null : snapshot.Id);
    }

    /// <summary>Lower directories (top first) as one mount, with <paramref name="upper"/>'s upper and work directories when writable.</summary>
    private List<Mount> LowerMounts(string key, List<string> lowers, long? upper)
    {
        if (lowers.Count > MaxLowerLayers)
            throw new SbuildException(ErrorCode.MountFailed,
                $"snapshot \"{key}\" stacks {lowers.Count} layers, more than the {MaxLowerLayers} overlayfs can mount; the copy snapshotter (SBUILD_SNAPSHOTTER=native) has no such limit");
        if (upper is null && lowers.Count == 1)
            return [new Mount("bind", lowers[0], ["rbind", "ro"])]; // overlay needs two lowers when it has no upper

        return [Overlay(lowers, upper is { } id ? (FsDir(id), WorkDir(id)) : null)];
    }

    /// <summary>The overlay mount of <paramref name="lowers"/> (top first), writable into <paramref name="upper"/> when given: the options every overlay of sbuild uses.</summary>
    internal static Mount Overlay(IEnumerable<string> lowers, (string Dir, string Work)? upper)
    {
        var options = OverlayFeatures.DisabledByDefault().ToList();
        options.Add("lowerdir=" + string.Join(':', lowers.Select(OverlayOptionText.Escape)));
        if (upper is { } writable)
        {
            options.Add("upperdir=" + OverlayOptionText.Escape(writable.Dir));
            options.Add("workdir=" + OverlayOptionText.Escape(writable.Work));
        }
        return new Mount("overlay", "overlay", options);
    }

    private string WorkDir(long id) => Path.Combine(SnapshotDir(id), "work");
}
