using Sbuild.Core;

namespace Sbuild.Build;

/// <summary>Names of entries inside an archive ADD extracts, made safe to join to the extraction directory.</summary>
internal static class ArchiveEntryPath
{
    /// <summary>
    /// <paramref name="name"/> cleaned like Go's path.Clean after dropping leading slashes (so "/etc/x" lands in
    /// "etc/x" below the destination, as in Docker), as '/'-separated parts; empty for the destination itself.
    /// A name whose ".." parts climb above the destination is rejected.
    /// </summary>
    public static List<string> Clean(string name, string archiveName)
    {
        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part != "..")
            {
                parts.Add(part);
            }
            else if (parts.Count > 0)
            {
                parts.RemoveAt(parts.Count - 1);
            }
            else
            {
                throw new SbuildException(ErrorCode.InvalidArchive,
                    $"archive {archiveName}: entry \"{name}\" points outside the destination directory");
            }
        }
        return parts;
    }
}
