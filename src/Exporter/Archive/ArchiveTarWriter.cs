using System.Formats.Tar;
using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>
/// Writes archive entries as a reproducible tar: entries sorted by path (duplicates dropped), one fixed mtime, uid/gid 0
/// with no user/group names, modes 0755 (directories) and 0644 (files). Blobs are streamed from the content store.
/// </summary>
internal sealed class ArchiveTarWriter(IContentStore store, DateTimeOffset timestamp)
{
    private const UnixFileMode DirectoryMode = (UnixFileMode)0b111_101_101; // 0755
    private const UnixFileMode FileMode = (UnixFileMode)0b110_100_100;      // 0644
    private const long MaxUstarSize = (1L << 33) - 1;                        // 11 octal digits

    public async Task WriteAsync(Stream output, IEnumerable<ArchiveEntry> entries, CancellationToken cancellationToken)
    {
        var ordered = entries.DistinctBy(e => e.Path).OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
        var tar = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);
        await using (tar.ConfigureAwait(false))
        {
            foreach (var entry in ordered)
            {
                cancellationToken.ThrowIfCancellationRequested();
                switch (entry)
                {
                    case DirectoryEntry:
                        await tar.WriteEntryAsync(Stamp(new UstarTarEntry(TarEntryType.Directory, entry.Path), DirectoryMode), cancellationToken).ConfigureAwait(false);
                        break;
                    case BytesEntry bytes:
                        var file = Stamp(new UstarTarEntry(TarEntryType.RegularFile, bytes.Path), FileMode);
                        file.DataStream = new MemoryStream(bytes.Content, writable: false);
                        await tar.WriteEntryAsync(file, cancellationToken).ConfigureAwait(false);
                        break;
                    case BlobEntry blob:
                        await WriteBlobAsync(tar, blob, cancellationToken).ConfigureAwait(false);
                        break;
                }
            }
        }
    }

    private async Task WriteBlobAsync(TarWriter tar, BlobEntry entry, CancellationToken cancellationToken)
    {
        var digest = entry.Blob.Digest;
        var size = store.SizeOf(digest)
            ?? throw new SbuildException(ErrorCode.BlobNotFound, $"blob {digest} ({entry.Blob.MediaType}) is not in the content store");
        if (size != entry.Blob.Size)
            throw new SbuildException(ErrorCode.StoreCorrupt, $"blob {digest} is {size} bytes in the content store but its descriptor says {entry.Blob.Size}");

        // Ustar's size field stops at 8 GiB; bigger blobs need a PAX header (whose name .NET derives from the process ID).
        PosixTarEntry tarEntry = size > MaxUstarSize
            ? new PaxTarEntry(TarEntryType.RegularFile, entry.Path)
            : new UstarTarEntry(TarEntryType.RegularFile, entry.Path);
        var source = new BlobReadStream(store.OpenRead(digest));
        await using (source.ConfigureAwait(false))
        {
            Stamp(tarEntry, FileMode).DataStream = source;
            await tar.WriteEntryAsync(tarEntry, cancellationToken).ConfigureAwait(false);
        }
    }

    private PosixTarEntry Stamp(PosixTarEntry entry, UnixFileMode mode)
    {
        entry.Mode = mode;
        entry.ModificationTime = timestamp;
        entry.Uid = 0;
        entry.Gid = 0;
        entry.UserName = "";
        entry.GroupName = "";
        return entry;
    }
}
