namespace Sbuild.Archive.Tar;

/// <summary>
/// Entry names made safe to join to the directory an archive is extracted into: one rule for layers and for ADD.
/// </summary>
public static class TarEntryName
{
    /// <summary>
    /// <paramref name="name"/> cleaned like Go's path.Clean after dropping leading slashes (so "/etc/x" lands in
    /// "etc/x" below the root, as Docker and containerd extract it), as '/'-separated parts; empty for the root
    /// itself. Null when its ".." parts climb above the root: Docker refuses such entries, and so does sbuild.
    /// </summary>
    public static List<string>? Clean(string name)
    {
        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part != "..") parts.Add(part);
            else if (parts.Count > 0) parts.RemoveAt(parts.Count - 1);
            else return null;
        }
        return parts;
    }
}
