namespace Sbuild.Exporter;

/// <summary>An OCI image layout in a tar, as <c>docker buildx build -o type=oci</c> writes it.</summary>
public sealed class OciArchiveWriter(DateTimeOffset? timestamp = null) : ImageArchiveWriter(timestamp)
{
    private protected override IReadOnlyList<ArchiveEntry> Entries(IReadOnlyList<ExportImage> images) => OciLayoutEntries.For(images);
}
