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

    public Task WriteAsync(ExportImage image, Stream output, CancellationToken cancellationToken)
    {
        var entries = Entries(image);
        return new ArchiveTarWriter(image.Content, Timestamp).WriteAsync(output, entries, cancellationToken);
    }

    /// <summary>Writes to a temp file beside <paramref name="path"/>, fsyncs and renames it over <paramref name="path"/>.</summary>
    public Task WriteToFileAsync(ExportImage image, string path, CancellationToken cancellationToken)
    {
        var entries = Entries(image);
        return ArchiveFile.WriteAtomicallyAsync(path,
            output => new ArchiveTarWriter(image.Content, Timestamp).WriteAsync(output, entries, cancellationToken), cancellationToken);
    }

    private protected abstract IReadOnlyList<ArchiveEntry> Entries(ExportImage image);
}
