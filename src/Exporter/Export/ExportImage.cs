using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>What an exporter ships: the image's manifest (or index), the names it goes by (may be empty), and where its blobs are.</summary>
public sealed record ExportImage(Descriptor Manifest, IReadOnlyList<ImageReference> Names, IContentStore Content);
