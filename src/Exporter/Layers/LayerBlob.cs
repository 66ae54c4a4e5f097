using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>A layer as stored: <paramref name="DiffId"/> hashes the uncompressed tar (config rootfs), <paramref name="Blob"/> the stored bytes (manifest).</summary>
public sealed record LayerBlob(Digest DiffId, Descriptor Blob);
