using Sbuild.Snapshotter;
using Sbuild.TestSupport;

namespace Sbuild.Snapshotter.Tests;

/// <summary>A temp directory for a snapshotter root plus mount points; every helper unmounts before it returns.</summary>
public sealed class SnapshotFixture : IDisposable
{
    private readonly TempDirectory _temp = new("sbuild-snap-");
    private int _mountPoints;

    public string Root(string name = "snapshots") => _temp.Combine(name);

    public string NewDirectory(string name)
    {
        var dir = _temp.Combine(name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Mounts <paramref name="mounts"/> on a fresh directory, runs <paramref name="action"/> on it, unmounts even if it throws.</summary>
    public T WithMounted<T>(IReadOnlyList<Mount> mounts, Func<string, T> action)
    {
        var target = NewDirectory($"mnt{Interlocked.Increment(ref _mountPoints)}");
        using var mounted = Mounter.MountAll(mounts, target);
        return action(target);
    }

    public void WithMounted(IReadOnlyList<Mount> mounts, Action<string> action) =>
        WithMounted(mounts, target =>
        {
            action(target);
            return 0;
        });

    /// <summary>Prepares <paramref name="key"/> on <paramref name="parent"/>, lets <paramref name="change"/> edit the mounted tree, commits it as <paramref name="name"/>.</summary>
    public void CommitLayer(ISnapshotter snapshotter, string name, string? parent, Action<string> change)
    {
        var key = name + "-active";
        WithMounted(snapshotter.Prepare(key, parent), change);
        snapshotter.Commit(name, key);
    }

    public void Dispose() => _temp.Dispose();
}

/// <summary>Small file helpers for building test trees.</summary>
public static class TreeBuilder
{
    public static readonly DateTimeOffset OldTime = new(2001, 2, 3, 4, 5, 6, TimeSpan.Zero);

    public static string Write(string root, string relative, string content, DateTimeOffset? mtime = null)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        if (mtime is { } t) File.SetLastWriteTimeUtc(path, t.UtcDateTime);
        return path;
    }

    public static string Read(string root, string relative) => File.ReadAllText(Path.Combine(root, relative));

    public static bool Exists(string root, string relative) =>
        Path.Exists(Path.Combine(root, relative)) || new FileInfo(Path.Combine(root, relative)).LinkTarget is not null;
}
