using System.IO.Compression;
using Sbuild.Core;
using Sbuild.Archive.Compression.Zstd;

namespace Sbuild.Exporter;

/// <summary>How a layer blob is compressed; the uncompressed tar (and so the diff_id) is the same for all of them.</summary>
public enum LayerCompression
{
    Gzip,
    Zstd,
    Uncompressed,
}

public static class LayerCompressionExtensions
{
    // Fixed levels (not CompressionLevel.Optimal, whose mapping may change between runtimes) keep blobs reproducible.
    private const int GzipLevel = 6;
    private const int ZstdLevel = 3;

    /// <summary>The level a layer gets when none is asked for.</summary>
    public static int DefaultLevel(this LayerCompression compression) => compression == LayerCompression.Zstd ? ZstdLevel : GzipLevel;

    /// <summary>The compression of a layer media type (OCI or Docker), or null when it is no layer type sbuild knows.</summary>
    public static LayerCompression? Of(string mediaType) => mediaType switch
    {
        MediaTypes.OciLayerGzip or MediaTypes.DockerLayerGzip => LayerCompression.Gzip,
        MediaTypes.OciLayerZstd => LayerCompression.Zstd,
        MediaTypes.OciLayer or MediaTypes.DockerLayer => LayerCompression.Uncompressed,
        _ => null,
    };

    /// <summary>The layer media type in OCI or Docker naming; Docker has no zstd type (zstd forces OCI types).</summary>
    public static string MediaType(this LayerCompression compression, bool oci) => oci ? compression.MediaType() : compression switch
    {
        LayerCompression.Gzip => MediaTypes.DockerLayerGzip,
        LayerCompression.Uncompressed => MediaTypes.DockerLayer,
        _ => compression.MediaType(),
    };

    public static string MediaType(this LayerCompression compression) => compression switch
    {
        LayerCompression.Gzip => MediaTypes.OciLayerGzip,
        LayerCompression.Zstd => MediaTypes.OciLayerZstd,
        LayerCompression.Uncompressed => MediaTypes.OciLayer,
        _ => throw new ArgumentOutOfRangeException(nameof(compression), compression, null),
    };

    /// <summary>
    /// A stream that compresses into <paramref name="output"/> and leaves it open; disposing it writes the trailer.
    /// The gzip header carries no file name and a zero mtime, and blocks are deflated on their own, so equal input gives
    /// equal bytes on any machine.
    /// </summary>
    internal static Stream Compress(this LayerCompression compression, Stream output, int? level = null) => compression switch
    {
        LayerCompression.Gzip => new ParallelGzipStream(output, level ?? GzipLevel),
        // libzstd's workers on every core; ZstdCompressStream explains why the bytes do not depend on their number.
        LayerCompression.Zstd => new ZstdCompressStream(output, level ?? ZstdLevel, workers: Math.Max(1, Environment.ProcessorCount)),
        LayerCompression.Uncompressed => new NonClosingStream(output),
        _ => throw new ArgumentOutOfRangeException(nameof(compression), compression, null),
    };
}
