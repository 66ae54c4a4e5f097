using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>Paths inside a layer archive, made safe to join to an extraction root.</summary>
internal static class ArchivePath
{
    /// <summary>
    /// <paramref name="path"/> as a relative path without "." parts or empty parts ("" for the root). A leading '/'
    /// is dropped: archive paths are relative to the root whatever they look like. A ".." part is rejected.
    /// </summary>
    public static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..")
                throw new SbuildException(ErrorCode.InvalidArchive, $"layer entry \"{path}\" contains \"..\"; paths must stay inside the layer");
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    public static (string Parent, string Name) Split(string relative)
    {
        var slash = relative.LastIndexOf('/');
        return slash < 0 ? ("", relative) : (relative[..slash], relative[(slash + 1)..]);
    }

    public static string Join(string parent, string name) => parent.Length == 0 ? name : parent + "/" + name;
}
