using Sbuild.Archive.Compression;
using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>Reads a stored layer blob back as its plain tar, decompressed by what its media type says.</summary>
public static class LayerReader
{
    public static Stream OpenTar(IContentStore content, Descriptor blob)
    {
        var compression = LayerCompressionExtensions.Of(blob.MediaType)
            ?? throw new SbuildException(ErrorCode.InvalidArchive, $"layer {blob.Digest} has unsupported media type {blob.MediaType}");
        var raw = content.OpenRead(blob.Digest);
        try
        {
            return Decompression.Open(raw, compression switch
            {
                LayerCompression.Gzip => ArchiveCompression.Gzip,
                LayerCompression.Zstd => ArchiveCompression.Zstd,
                _ => ArchiveCompression.None,
            });
        }
        catch
        {
            raw.Dispose();
            throw;
        }
    }
}
