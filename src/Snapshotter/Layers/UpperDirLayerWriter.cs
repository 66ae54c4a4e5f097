using Sbuild.Archive.Tar;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// Writes an overlay upper directory (a snapshot's own changes) as an uncompressed OCI layer tar: entries sorted by
/// path bytewise, numeric owners, whiteouts and opaque directories in OCI form, the second and later paths of an inode
/// as hard links, xattrs except overlay's own. File data is streamed, never buffered whole.
/// </summary>
public static class UpperDirLayerWriter
{
    public static async Task WriteAsync(string upperDir, Stream output, LayerDiffOptions options, CancellationToken cancellationToken)
    {
        var clamp = options.SourceDateEpoch?.ToUnixTimeSeconds();
        var writer = new PaxTarWriter(output);
        var firstPathOfInode = new Dictionary<(ulong Device, ulong Inode), string>();

        foreach (var change in UpperDirScanner.Scan(upperDir))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (change.Kind != ChangeKind.Present)
            {
                await writer.WriteEntryAsync(Marker(change.ArchivePath), null, cancellationToken).ConfigureAwait(false);
                continue;
            }
            var stat = change.Stat;
            if (stat.Type == Posix.FileStat.Socket) continue; // tar cannot hold sockets; they are runtime artefacts anyway

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
                await using var data = new FileStream(change.HostPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.SequentialScan);
                await writer.WriteEntryAsync(header, data, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await writer.WriteEntryAsync(header, null, cancellationToken).ConfigureAwait(false);
            }
        }
        await writer.FinishAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An OCI whiteout or opaque marker: an empty file with zero metadata, so it never makes layers differ.</summary>
    private static TarHeader Marker(string archivePath) => new() { Name = archivePath, Kind = TarEntryKind.File };

    private static TarHeader HeaderFor(UpperDirChange change, long? clamp)
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
            _ => throw new SbuildException(ErrorCode.FileSystem, $"{change.HostPath}: unsupported file type 0x{stat.Type:x}"),
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
            LinkName = kind == TarEntryKind.Symlink ? new FileInfo(change.HostPath).LinkTarget ?? "" : "",
            DeviceMajor = kind is TarEntryKind.CharDevice or TarEntryKind.BlockDevice ? stat.Major : 0,
            DeviceMinor = kind is TarEntryKind.CharDevice or TarEntryKind.BlockDevice ? stat.Minor : 0,
            Xattrs = LayerXattrs(change.HostPath),
        };
    }

    /// <summary>The xattrs that belong in the layer; overlay's bookkeeping is dropped, and features that hide data refused.</summary>
    private static IReadOnlyDictionary<string, byte[]> LayerXattrs(string path)
    {
        var names = Xattrs.List(path);
        if (names.Count == 0) return TarHeader.EmptyXattrs;
        var xattrs = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (name is "trusted.overlay.metacopy" or "trusted.overlay.redirect")
                throw new SbuildException(ErrorCode.StoreCorrupt,
                    $"{path} carries {name}: the snapshot was mounted with overlay metacopy or redirect_dir, which a layer cannot represent");
            if (name.StartsWith(OciWhiteouts.OverlayXattrPrefix, StringComparison.Ordinal)) continue;
            if (Xattrs.Get(path, name) is { } value) xattrs[name] = value;
        }
        return xattrs;
    }
}
