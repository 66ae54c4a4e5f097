namespace Sbuild.Exporter;

/// <summary>
/// Writes one image as a reproducible tar archive. Every member is decided (and every manifest read) before the
/// first byte is written; to a file, the archive appears only once complete.
/// </summary>
public abstract class ImageArchiveWriter
{
    /// <param name="timestamp">The mtime of every member (SOURCE_DATE_EPOCH); the Unix epoch when null.</param>
    protected ImageArchiveWriter(DateTimeOffset? timestamp) => Timestamp = timestamp ?? DateTimeOffset.UnixEpoch;

    public DateTimeOffset Timestamp { get; }

    public Task WriteAsync(ExportImage image, Stream output, CancellationToken cancellationToken) =>
        WriteAsync([image], output, cancellationToken);

    /// <summary>Several images in one archive (<c>sbuild save A B</c>); blobs they share are written once.</summary>
    public Task WriteAsync(IReadOnlyList<ExportImage> images, Stream output, CancellationToken cancellationToken)
    {
        var entries = Entries(images);
        return new ArchiveTarWriter(images[0].Content, Timestamp).WriteAsync(output, entries, cancellationToken);
    }

    /// <summary>Writes to a temp file beside <paramref name="path"/>, fsyncs and renames it over <paramref name="path"/>.</summary>
    public Task WriteToFileAsync(ExportImage image, string path, CancellationToken cancellationToken) =>
        WriteToFileAsync([image], path, cancellationToken);

    public Task WriteToFileAsync(IReadOnlyList<ExportImage> images, string path, CancellationToken cancellationToken)
    {
        var entries = Entries(images);
        return ArchiveFile.WriteAtomicallyAsync(path,
            output => new ArchiveTarWriter(images[0].Content, Timestamp).WriteAsync(output, entries, cancellationToken), cancellationToken);
    }

    private protected abstract IReadOnlyList<ArchiveEntry> Entries(IReadOnlyList<ExportImage> images);
}
