using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// How the differs and the tree copier list one directory: every entry, hidden and system ones included (the default
/// enumeration options skip some), not recursive, in the order the file system gives. A name that is not UTF-8 is
/// refused (<see cref="FileNames"/>): .NET could not open it again, nor write it into a layer unchanged.
/// </summary>
internal static class DirectoryEntries
{
    private static readonly EnumerationOptions All = new() { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false };

    public static IEnumerable<string> Paths(string dir) => FileNames.Entries(dir, "file", "give it a UTF-8 name in the step that makes it", showDirectory: false, options: All);

    public static IEnumerable<string> Names(string dir) => Paths(dir).Select(path => Path.GetFileName(path));

    /// <summary>Each entry with its name and lstat, read at once.</summary>
    public static List<(string Host, string Name, Posix.FileStat Stat)> WithStats(string dir) =>
        Paths(dir).Select(host => (Host: host, Name: Path.GetFileName(host), Stat: Posix.LStat(host))).ToList();
}
