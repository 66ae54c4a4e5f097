using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// How the differs and the tree copier list one directory: every entry, hidden and system ones included (the default
/// enumeration options skip some), not recursive, in the order the file system gives.
/// </summary>
internal static class DirectoryEntries
{
    private static readonly EnumerationOptions All = new() { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false };

    public static IEnumerable<string> Paths(string dir) => FileNames.Entries(dir, "file", "give it a UTF-8 name in the step that makes it", showDirectory: false, options: All);

    public static IEnumerable<string> Names(string dir) => Paths(dir).Select(path => Path.GetFileName(path));

    /// <summary>Each entry with its name and lstat, read at once.</summary>
    public static List<(string Host, string Name, Posix.FileStat Stat)> WithStats(string dir) =>
        Paths(dir).Select(host => (Host: host, Name: Path.GetFileName(host), Stat: LStat(host))).ToList();

    private static Posix.FileStat LStat(string host)
    {
        if (Posix.TryLStat(host, out var stat)) return stat;
        // .NET lists a name that is not UTF-8 with U+FFFD in place of the bad bytes, so that name cannot be opened again.
        if (Path.GetFileName(host).Contains('\uFFFD'))
            throw new SbuildException(ErrorCode.FileSystem,
                $"{host}: the file name is not valid UTF-8, and sbuild cannot put such a name into a layer yet; rename or remove the file in the step that makes it");
        return Posix.LStat(host); // throws the real reason
    }
}
