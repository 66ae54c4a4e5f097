using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// How the differs and the tree copier list one directory: every entry, hidden and system ones included (the default
/// enumeration options skip some), not recursive, in the order the file system gives. Names keep their bytes, UTF-8 or
/// not (<see cref="DirectoryListing"/>), so such a path must be read through <see cref="Posix"/>.
/// </summary>
internal static class DirectoryEntries
{
    public static IEnumerable<string> Paths(string dir) => Names(dir).Select(name => Path.Combine(dir, name));

    public static IEnumerable<string> Names(string dir) => DirectoryListing.Names(dir);

    /// <summary>Each entry with its name and lstat, read at once.</summary>
    public static List<(string Host, string Name, Posix.FileStat Stat)> WithStats(string dir) =>
        Paths(dir).Select(host => (Host: host, Name: Path.GetFileName(host), Stat: Posix.LStat(host))).ToList();
}
