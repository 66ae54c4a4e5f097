namespace Sbuild.Core;

/// <summary>
/// File names that are not valid UTF-8. .NET reads names as UTF-8 and puts U+FFFD where the bytes are not, so such a
/// name comes back as a path that names no file (or, written out, a file with other bytes). BuildKit keeps those
/// bytes; sbuild cannot yet, so where it lists a directory of the user's files it refuses such a name, saying which,
/// instead of failing on a file "not found" or writing a wrong name into a layer.
/// </summary>
public static class FileNames
{
    /// <summary>
    /// <paramref name="path"/> as listed, or an error naming it when its name did not decode. <paramref name="what"/>
    /// says whose file it is ("build context file"), <paramref name="remedy"/> what the user can do.
    /// </summary>
    public static string Checked(string path, string what, string remedy, bool showDirectory = true)
    {
        // A name may hold U+FFFD for real (its UTF-8 bytes EF BF BD): then the path still names the file.
        if (!path.Contains('\uFFFD', StringComparison.Ordinal) || Posix.TryLStat(path, out _)) return path;
        var shown = (showDirectory ? path : Path.GetFileName(path)).Replace('\uFFFD', '?');
        throw new SbuildException(ErrorCode.FileSystem,
            $"{what} \"{shown}\": its name is not valid UTF-8 (\"?\" marks the bytes that are not), and sbuild cannot yet " +
            $"keep such a name byte for byte as BuildKit does; {remedy}");
    }

    /// <summary>Directory.EnumerateFileSystemEntries with every name <see cref="Checked"/>.</summary>
    public static IEnumerable<string> Entries(string dir, string what, string remedy, bool showDirectory = true, EnumerationOptions? options = null) =>
        Directory.EnumerateFileSystemEntries(dir, "*", options ?? new EnumerationOptions()).Select(path => Checked(path, what, remedy, showDirectory));
}
