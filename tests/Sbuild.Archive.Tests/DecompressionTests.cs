using System.Text;
using Sbuild.Archive.Compression;

namespace Sbuild.Archive.Tests;

/// <summary>Compression is recognised by content only, with the magic numbers docker's archive package uses.</summary>
public sealed class DecompressionTests
{
    [Fact]
    public void Magic_numbers_are_recognised_as_docker_does()
    {
        Assert.Equal(ArchiveCompression.Gzip, Decompression.Detect([0x1F, 0x8B, 0x08, 0]));
        Assert.Equal(ArchiveCompression.None, Decompression.Detect([0x1F, 0x8B, 0x07, 0])); // gzip with another method
        Assert.Equal(ArchiveCompression.Bzip2, Decompression.Detect("BZh91AY"u8));
        Assert.Equal(ArchiveCompression.Xz, Decompression.Detect([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]));
        Assert.Equal(ArchiveCompression.Zstd, Decompression.Detect([0x28, 0xB5, 0x2F, 0xFD]));
        // A zstd skippable frame (magic 0x184D2A5?, little-endian) followed by its length.
        Assert.Equal(ArchiveCompression.Zstd, Decompression.Detect([0x5E, 0x2A, 0x4D, 0x18, 4, 0, 0, 0]));
        Assert.Equal(ArchiveCompression.None, Decompression.Detect(Encoding.ASCII.GetBytes("ustar")));
        Assert.Equal(ArchiveCompression.None, Decompression.Detect([]));
    }
}
