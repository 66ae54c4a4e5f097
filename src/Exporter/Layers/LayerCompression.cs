using System.IO.Compression;
using Sbuild.Core;
using ZstdSharp;

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
    internal static Stream Compress(this LayerCompression compression, Stream output) => compression switch
    {
        LayerCompression.Gzip => new ParallelGzipStream(output, GzipLevel),
        LayerCompression.Zstd => new CompressionStream(output, ZstdLevel, leaveOpen: true),
        LayerCompression.Uncompressed => new NonClosingStream(output),
        _ => throw new ArgumentOutOfRangeException(nameof(compression), compression, null),
    };
}
