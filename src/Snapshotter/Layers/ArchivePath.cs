using Sbuild.Archive.Tar;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>Paths inside a layer archive, made safe to join to an extraction root.</summary>
internal static class ArchivePath
{
    /// <summary>
    /// <paramref name="path"/> as a relative path without "." or empty parts ("" for the root), cleaned by
    /// <see cref="TarEntryName.Clean"/>: a leading '/' is dropped, and a path whose ".." parts climb out is rejected.
    /// </summary>
    public static string Normalize(string path) =>
        TarEntryName.Clean(path) is { } parts
            ? string.Join('/', parts)
            : throw new SbuildException(ErrorCode.InvalidArchive, $"layer entry \"{EscapedNames.Shown(path)}\" climbs out with \"..\"; paths must stay inside the layer");

    public static (string Parent, string Name) Split(string relative)
    {
        var slash = relative.LastIndexOf('/');
        return slash < 0 ? ("", relative) : (relative[..slash], relative[(slash + 1)..]);
    }

    public static string Join(string parent, string name) => parent.Length == 0 ? name : parent + "/" + name;
}
