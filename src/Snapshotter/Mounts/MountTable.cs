using System.Text;

namespace Sbuild.Snapshotter;

/// <summary>The mount points of this process's mount namespace, from <c>/proc/self/mountinfo</c>.</summary>
public static class MountTable
{
    /// <summary>Mount points at or below <paramref name="directory"/>, deepest first (the order to unmount them in).</summary>
    public static IReadOnlyList<string> Below(string directory)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        return File.ReadLines("/proc/self/mountinfo")
            .Select(line => line.Split(' '))
            .Where(fields => fields.Length > 4)
            .Select(fields => Unescape(fields[4]))
            .Where(point => point == root || point.StartsWith(root + "/", StringComparison.Ordinal))
            .OrderByDescending(point => point.Length)
            .ToList();
    }

    /// <summary>Unmounts (lazily, MNT_DETACH: a dead container may still hold them) everything at or below <paramref name="directory"/>.</summary>
    public static void UnmountBelow(string directory)
    {
        // A mount point may carry several stacked mounts; each pass removes the top one of each.
        for (var points = Below(directory); points.Count > 0; points = Below(directory))
            foreach (var point in points)
                Mounter.Unmount(point, detach: true);
    }

    /// <summary>mountinfo writes space, tab, newline and backslash in paths as octal escapes (<c>\040</c>).</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var bytes = new List<byte>();
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && field.Length - i >= 4)
            {
                bytes.Add(Convert.ToByte(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
                bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
