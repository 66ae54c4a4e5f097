using Sbuild.Archive.Tar;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// Writes layer changes as an uncompressed OCI layer tar, for every differ: entries sorted by path bytewise, each
/// preceded by its parent directories (as the new tree has them, like containerd's change writer), numeric owners,
/// whiteouts in OCI form, the second and later paths of an inode as hard links, xattrs except overlay's own. File data
/// is streamed, never buffered whole.
/// </summary>
internal static class LayerWriter
{
    /// <summary>Writes <paramref name="changes"/> of the tree at <paramref name="newRoot"/> (where parent directories are read from).</summary>
    public static async Task WriteAsync(AliasedTree newRoot, IReadOnlyList<LayerChange> changes, Stream output, LayerDiffOptions options, CancellationToken cancellationToken)
    {
        var clamp = options.SourceDateEpoch?.ToUnixTimeSeconds();
        var writer = new PaxTarWriter(output);
        var firstPathOfInode = new Dictionary<(ulong Device, ulong Inode), string>();

        foreach (var change in WithParents(newRoot, changes))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (change.Kind == ChangeKind.Deleted)
            {
                await writer.WriteEntryAsync(Whiteout(change.ArchivePath), null, cancellationToken).ConfigureAwait(false);
                continue;
            }
            var stat = change.Stat;
            var header = HeaderFor(change, clamp);
            if (header.Kind == TarEntryKind.File && stat.Links > 1)
            {
                var inode = (stat.Device, stat.Inode);
                if (firstPathOfInode.TryGetValue(inode, out var first))
                {
                    header = header with { Kind = TarEntryKind.HardLink, LinkName = first, Size = 0, Xattrs = TarHeader.EmptyXattrs };
                    await writer.WriteEntryAsync(header, null, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                firstPathOfInode[inode] = change.ArchivePath;
            }

            if (header.Kind == TarEntryKind.File && header.Size > 0)
            {
                await using var data = Posix.OpenRead(change.HostPath);
                await writer.WriteEntryAsync(header, data, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await writer.WriteEntryAsync(header, null, cancellationToken).ConfigureAwait(false);
            }
        }
        await writer.FinishAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The changes plus every parent directory that is not a change itself, sorted (parents sort before their children).
    /// Extractors create missing parents with default metadata, so a layer carries them as the new tree has them.
    /// </summary>
    private static List<LayerChange> WithParents(AliasedTree newRoot, IReadOnlyList<LayerChange> changes)
    {
        var all = new List<LayerChange>(changes);
        var listed = changes.Where(c => c.Kind == ChangeKind.Present).Select(c => c.ArchivePath).ToHashSet(StringComparer.Ordinal);
        foreach (var change in changes)
        {
            for (var parent = ArchivePath.Split(change.ArchivePath).Parent; parent.Length > 0 && listed.Add(parent); parent = ArchivePath.Split(parent).Parent)
            {
                var host = newRoot.HostPath(parent);
                all.Add(LayerChange.Present(parent, host, Posix.LStat(host)));
            }
        }
        all.Sort((a, b) => Utf8OrdinalComparer.Instance.Compare(a.ArchivePath, b.ArchivePath));
        return all;
    }

    /// <summary>An OCI whiteout: an empty file with zero metadata, so it never makes layers differ.</summary>
    private static TarHeader Whiteout(string archivePath) => new() { Name = archivePath, Kind = TarEntryKind.File };

    private static TarHeader HeaderFor(LayerChange change, long? clamp)
    {
        var stat = change.Stat;
        var kind = stat.Type switch
        {
            Posix.FileStat.Regular => TarEntryKind.File,
            Posix.FileStat.Directory => TarEntryKind.Directory,
            Posix.FileStat.Symlink => TarEntryKind.Symlink,
            Posix.FileStat.CharDevice => TarEntryKind.CharDevice,
            Posix.FileStat.BlockDevice => TarEntryKind.BlockDevice,
            Posix.FileStat.Fifo => TarEntryKind.Fifo,
            _ => throw new SbuildException(ErrorCode.FileSystem, $"{EscapedNames.Shown(change.HostPath)}: unsupported file type 0x{stat.Type:x}"),
        };
        var mtime = stat.MTimeSec;
        if (clamp is { } limit && mtime > limit) mtime = limit;
        return new TarHeader
        {
            Name = kind == TarEntryKind.Directory ? change.ArchivePath + "/" : change.ArchivePath,
            Kind = kind,
            Mode = stat.Permissions,
            Uid = stat.Uid,
            Gid = stat.Gid,
            Size = kind == TarEntryKind.File ? stat.Size : 0,
            ModificationTime = mtime,
            LinkName = kind == TarEntryKind.Symlink ? Posix.ReadLink(change.HostPath) : "",
            DeviceMajor = kind is TarEntryKind.CharDevice or TarEntryKind.BlockDevice ? stat.Major : 0,
            DeviceMinor = kind is TarEntryKind.CharDevice or TarEntryKind.BlockDevice ? stat.Minor : 0,
            Xattrs = XattrsOf(change.HostPath),
        };
    }

    private static IReadOnlyDictionary<string, byte[]> XattrsOf(string path)
    {
        var names = LayerXattrs.Names(path);
        if (names.Count == 0) return TarHeader.EmptyXattrs;
        var xattrs = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in names)
            if (Xattrs.Get(path, name) is { } value) xattrs[name] = value;
        return xattrs;
    }
}
