using System.Security.Cryptography;
using Sbuild.Core;

namespace Sbuild.TestSupport;

/// <summary>
/// One entry of a root file system, with every property the comparison looks at. <see cref="Path"/> is absolute
/// inside the rootfs (<c>/etc/passwd</c>). <see cref="HardLinks"/> lists all paths of the tree sharing this entry's
/// inode (including itself) when there is more than one, else it is empty. <see cref="Modified"/> is the mtime
/// (nanosecond precision), for symlinks the link's own.
/// </summary>
public sealed record RootfsEntry(
    string Path,
    FileKind Kind,
    int Permissions,
    uint Uid,
    uint Gid,
    long Size,
    string? Sha256,
    string? LinkTarget,
    uint RdevMajor,
    uint RdevMinor,
    IReadOnlyList<string> HardLinks,
    UnixTime Modified)
{
    /// <summary>An <c>ls -l</c>-like line, handy in assertion messages.</summary>
    public override string ToString()
    {
        var detail = Kind switch
        {
            FileKind.Regular => $"size {Size} sha256 {Sha256?[..12]}",
            FileKind.Symlink => $"-> {LinkTarget}",
            FileKind.CharDevice or FileKind.BlockDevice => $"dev {RdevMajor},{RdevMinor}",
            _ => "",
        };
        var links = HardLinks.Count > 0 ? $" links [{string.Join(", ", HardLinks)}]" : "";
        return $"{Path} {Kind} {RootfsFormat.Mode(Permissions)} {Uid}:{Gid} {detail}{links}";
    }
}

/// <summary>A file time as the kernel keeps it: seconds since the Unix epoch and nanoseconds.</summary>
public readonly record struct UnixTime(long Seconds, long Nanoseconds)
{
    /// <summary>The time of <paramref name="time"/> (after 1970, like every time a build writes), to its 100 ns ticks.</summary>
    public static UnixTime From(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return new UnixTime(ticks / TimeSpan.TicksPerSecond, ticks % TimeSpan.TicksPerSecond * 100);
    }

    public static bool operator <(UnixTime a, UnixTime b) => (a.Seconds, a.Nanoseconds).CompareTo((b.Seconds, b.Nanoseconds)) < 0;
    public static bool operator >(UnixTime a, UnixTime b) => b < a;

    /// <summary>UTC, with the nanoseconds when there are any: <c>2024-05-01T10:00:00Z</c>, <c>…:00.000000123Z</c>.</summary>
    public override string ToString()
    {
        var text = DateTimeOffset.FromUnixTimeSeconds(Seconds).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        return Nanoseconds == 0 ? text + "Z" : $"{text}.{Nanoseconds:D9}Z";
    }
}

internal static class RootfsFormat
{
    public static string Mode(int permissions) => "0" + Convert.ToString(permissions, 8).PadLeft(3, '0');
}

/// <summary>Reads a directory tree into <see cref="RootfsEntry"/> records without following symlinks.</summary>
public static class RootfsScanner
{
    /// <summary>All entries below <paramref name="root"/> (the root itself excluded), keyed by rootfs path.</summary>
    public static IReadOnlyDictionary<string, RootfsEntry> Scan(string root)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"rootfs {root} does not exist");
        var found = new List<(string RelPath, string FullPath, FileStat Stat)>();
        Walk(root, "", found);

        // Group by inode so each member of a hard-link group knows its siblings inside this tree.
        var groups = found
            .Where(f => f.Stat.Kind != FileKind.Directory && f.Stat.LinkCount > 1)
            .GroupBy(f => (f.Stat.Device, f.Stat.Inode))
            .Where(g => g.Count() > 1)
            .SelectMany(g =>
            {
                var members = g.Select(f => f.RelPath).Order(StringComparer.Ordinal).ToList();
                return members.Select(m => (m, (IReadOnlyList<string>)members));
            })
            .ToDictionary(x => x.m, x => x.Item2, StringComparer.Ordinal);

        var entries = new Dictionary<string, RootfsEntry>(StringComparer.Ordinal);
        foreach (var (rel, full, st) in found)
        {
            entries[rel] = new RootfsEntry(
                rel, st.Kind, st.Permissions, st.Uid, st.Gid,
                st.Kind == FileKind.Regular ? st.Size : 0,
                st.Kind == FileKind.Regular ? HashFile(full) : null,
                st.Kind == FileKind.Symlink ? Posix.ReadLink(full) : null,
                st.RdevMajor, st.RdevMinor,
                groups.GetValueOrDefault(rel) ?? [],
                new UnixTime(st.MTimeSec, st.MTimeNsec));
        }
        return entries;
    }

    private static void Walk(string dir, string relDir, List<(string, string, FileStat)> found)
    {
        // Names as their bytes (System.IO would give U+FFFD for bytes that are not UTF-8, naming no file).
        foreach (var name in DirectoryListing.Names(dir))
        {
            var full = Path.Combine(dir, name);
            var rel = relDir + "/" + name;
            var stat = UnixFs.LStat(full);
            found.Add((rel, full, stat));
            if (stat.Kind == FileKind.Directory) Walk(full, rel, found);
        }
    }

    private static string HashFile(string path)
    {
        using var stream = Posix.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
