using System.Text;

namespace Sbuild.Snapshotter;

/// <summary>
/// A tree read by paths that fit PATH_MAX (4096 bytes) however deep it goes, as a container can make it (a RUN that
/// moves a deep directory below another deep one; BuildKit's differ walks such trees). The root is read through its
/// <see cref="DirectoryAlias"/>; a walk asks <see cref="Directory"/> for each directory it enters, and a directory whose
/// path has grown long is opened and read through an alias of its own, so every path built from a directory's path (one
/// name of at most 255 bytes more) stays short. The aliases stay open until the tree is disposed, so the host paths of
/// a walk's changes can be read afterwards (the layer writer reads them).
/// </summary>
internal sealed class AliasedTree : IDisposable
{
    /// <summary>A directory path of this many bytes or more is replaced by an alias: a slash and a name (NAME_MAX 255)
    /// more, and every path below stays under PATH_MAX.</summary>
    private const int LongDirectory = 3072;

    private readonly List<DirectoryAlias> _open = [];
    /// <summary>Each aliased directory's path in the tree (as an archive path: relative, "/"-separated) → its alias.</summary>
    private readonly Dictionary<string, string> _aliases = new(StringComparer.Ordinal);

    /// <summary>A tree read through an alias of its root, so that even the root's own path (a deep store) adds little.</summary>
    public AliasedTree(string root)
    {
        var alias = DirectoryAlias.Open(root);
        _open.Add(alias);
        Root = alias.Path;
    }

    private AliasedTree(string root, bool _) => Root = root;

    /// <summary>A tree named by its root's own path (errors then name real paths); only its long directories are aliased.</summary>
    public static AliasedTree AtPath(string root) => new(root, false);

    /// <summary>The root, through its alias unless <see cref="AtPath"/>.</summary>
    public string Root { get; }

    /// <summary>
    /// The path to read the directory at <paramref name="archiveDir"/> by, given <paramref name="hostDir"/>, the path a
    /// walk built for it from its parent's: that path itself while it is short, else an alias.
    /// </summary>
    public string Directory(string hostDir, string archiveDir)
    {
        if (Encoding.UTF8.GetByteCount(hostDir) < LongDirectory) return hostDir;
        if (_aliases.TryGetValue(archiveDir, out var known)) return known;
        var alias = DirectoryAlias.Open(hostDir);
        _open.Add(alias);
        return _aliases[archiveDir] = alias.Path;
    }

    /// <summary>The path to reach the entry at <paramref name="archivePath"/> by: its name in its directory's path
    /// (<see cref="DirectoryPath"/>). The directories above it must exist.</summary>
    public string HostPath(string archivePath)
    {
        if (archivePath.Length == 0) return Root;
        var (parent, name) = ArchivePath.Split(archivePath);
        return DirectoryPath(parent) + "/" + name;
    }

    /// <summary>The path to reach the existing directory at <paramref name="archiveDir"/> by, aliasing it when long.</summary>
    public string DirectoryPath(string archiveDir) =>
        archiveDir.Length == 0 ? Root
        : _aliases.TryGetValue(archiveDir, out var alias) ? alias
        : Directory(HostPath(archiveDir), archiveDir);

    /// <summary>Forgets every alias (after a directory was removed or replaced, they may name what is gone). They stay
    /// open until the tree is disposed, so a path handed out earlier never names another file through a reused descriptor.</summary>
    public void Forget() => _aliases.Clear();

    public void Dispose()
    {
        foreach (var alias in _open) alias.Dispose();
        _open.Clear();
    }
}
