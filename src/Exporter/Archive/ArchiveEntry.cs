using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>One member of an image archive, named by its path inside the tar.</summary>
internal abstract record ArchiveEntry(string Path);

internal sealed record DirectoryEntry(string Path) : ArchiveEntry(Path);

/// <summary>Small generated metadata (index.json, manifest.json, oci-layout).</summary>
internal sealed record BytesEntry(string Path, byte[] Content) : ArchiveEntry(Path);

/// <summary>A blob streamed from the content store.</summary>
internal sealed record BlobEntry(string Path, Descriptor Blob) : ArchiveEntry(Path);
