namespace Sbuild.Snapshotter;

/// <summary>
/// Manages file system snapshots, containerd style. Vocabulary:
/// <list type="bullet">
/// <item><b>key</b> names an <see cref="SnapshotKind.Active"/> (writable) or <see cref="SnapshotKind.View"/> (read-only) snapshot;</item>
/// <item><b>name</b> names a <see cref="SnapshotKind.Committed"/> snapshot: immutable, and the only kind that can be a parent;</item>
/// <item><b>parent</b>: a snapshot starts as the content of its parent chain plus nothing; changes go to its own layer.</item>
/// </list>
/// Lifecycle: <see cref="Prepare"/> (or <see cref="View"/>) → mount the returned mounts, change files, unmount →
/// <see cref="Commit"/> turns the active snapshot into a committed one (the key disappears) → <see cref="Remove"/>.
/// Keys and names share one namespace. Mounts are returned as data; the caller mounts them (see <see cref="Mounter"/>)
/// and must unmount before committing or removing. Safe to use from several threads and processes on one root.
/// Disposing closes its catalog.
/// </summary>
public interface ISnapshotter : IDisposable
{
    /// <summary>Creates active snapshot <paramref name="key"/> on top of committed <paramref name="parent"/> (null: empty) and returns its mounts.</summary>
    /// <exception cref="SnapshotExistsException"><paramref name="key"/> is taken.</exception>
    /// <exception cref="SnapshotNotFoundException"><paramref name="parent"/> does not exist.</exception>
    IReadOnlyList<Mount> Prepare(string key, string? parent);

    /// <summary>Creates read-only snapshot <paramref name="key"/> showing committed <paramref name="parent"/> (null: empty) and returns its mounts.</summary>
    IReadOnlyList<Mount> View(string key, string? parent);

    /// <summary>The mounts of an active or view snapshot again (the same ones <see cref="Prepare"/> or <see cref="View"/> returned).</summary>
    IReadOnlyList<Mount> Mounts(string key);

    /// <summary>Turns active snapshot <paramref name="key"/> (unmounted) into committed snapshot <paramref name="name"/>; the key is gone afterwards.</summary>
    /// <exception cref="SnapshotExistsException"><paramref name="name"/> is taken (for example another build committed the same layer first).</exception>
    void Commit(string name, string key);

    /// <summary>Deletes a snapshot and its files. A committed snapshot that is still a parent cannot be removed.</summary>
    void Remove(string key);

    SnapshotInfo Stat(string key);

    bool Exists(string key);

    /// <summary>Every snapshot, ordered by key.</summary>
    IReadOnlyList<SnapshotInfo> List();

    /// <summary>Bytes of regular files stored for <paramref name="key"/> itself (not its parents): what removing it frees.</summary>
    long Usage(string key);
}

/// <summary>Active snapshots are writable, views read-only, committed snapshots immutable parents.</summary>
public enum SnapshotKind
{
    Active,
    View,
    Committed,
}

/// <param name="Key">The key (active, view) or name (committed).</param>
/// <param name="Parent">The committed snapshot this one is based on, null for a snapshot that starts empty.</param>
public sealed record SnapshotInfo(string Key, SnapshotKind Kind, string? Parent, DateTimeOffset Created);

/// <summary>A key or name is already used by another snapshot; callers racing to create the same layer can catch it.</summary>
public sealed class SnapshotExistsException(string key)
    : InvalidOperationException($"snapshot \"{key}\" already exists")
{
    public string Key { get; } = key;
}

public sealed class SnapshotNotFoundException(string key)
    : InvalidOperationException($"snapshot \"{key}\" does not exist")
{
    public string Key { get; } = key;
}
