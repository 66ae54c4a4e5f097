using Sbuild.Core;
using Sbuild.Snapshotter;

namespace Sbuild.Engine.Cache;

/// <summary>Disk use of a snapshot's own layer (its upper directory): what removing it frees.</summary>
public static class SnapshotSizes
{
    public static long OwnSize(OverlaySnapshotter snapshots, string name) => DirectorySize(snapshots.UpperDir(name));

    private static long DirectorySize(string path)
    {
        long total = 0;
        var pending = new Stack<string>();
        pending.Push(path);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
            {
                if (!Posix.TryLStat(entry, out var st)) continue;
                if (st.Type == Posix.FileStat.Directory) pending.Push(entry);
                else if (st.Type == Posix.FileStat.Regular) total += st.Size;
            }
        }
        return total;
    }
}
