using System.Buffers.Binary;
using System.IO.Compression;
using Sbuild.Core;
using SharpCompress.Compressors.BZip2;
using SharpCompress.Compressors.Xz;
using Sbuild.Archive.Compression.Zstd;
using SharpCompressionMode = SharpCompress.Compressors.CompressionMode;

namespace Sbuild.Archive.Compression;

/// <summary>
/// The one place that recognises a compression format by its magic bytes (never by a file name or media type) and
/// opens a decompressing stream for it: ADD's archives and imported layer tars both come through here.
/// </summary>
public static class Decompression
{
    /// <summary>Enough leading bytes for every magic number below (zstd skippable frames need 8, xz 6).</summary>
    public const int MagicLength = 10;

    private static ReadOnlySpan<byte> GzipMagic => [0x1F, 0x8B, 0x08];
    private static ReadOnlySpan<byte> Bzip2Magic => "BZh"u8;
    private static ReadOnlySpan<byte> XzMagic => [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00];
    private static ReadOnlySpan<byte> ZstdMagic => [0x28, 0xB5, 0x2F, 0xFD];
    private const uint ZstdSkippableFrame = 0x184D2A50, ZstdSkippableMask = 0xFFFFFFF0;

    /// <summary>The format whose magic number starts <paramref name="head"/>, as docker's DetectCompression decides; None when no known magic matches.</summary>
    public static ArchiveCompression Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith(Bzip2Magic)) return ArchiveCompression.Bzip2;
        if (head.StartsWith(GzipMagic)) return ArchiveCompression.Gzip;
        if (head.StartsWith(XzMagic)) return ArchiveCompression.Xz;
        if (head.StartsWith(ZstdMagic)) return ArchiveCompression.Zstd;
        // A zstd stream may begin with a skippable frame (magic 0x184D2A50..5F, little-endian).
        if (head.Length >= 8 && (BinaryPrimitives.ReadUInt32LittleEndian(head) & ZstdSkippableMask) == ZstdSkippableFrame)
            return ArchiveCompression.Zstd;
        return ArchiveCompression.None;
    }

    /// <summary>Reads the magic bytes at the start of <paramref name="file"/> and returns the format; the position is restored.</summary>
    public static ArchiveCompression Detect(FileStream file)
    {
        Span<byte> head = stackalloc byte[MagicLength];
        var start = file.Position;
        var read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        file.Position = start;
        return Detect(head[..read]);
    }

    /// <summary>A stream of the decompressed bytes of <paramref name="compressed"/>; disposing it also disposes <paramref name="compressed"/>.</summary>
    public static Stream Open(Stream compressed, ArchiveCompression format) => format switch
    {
        ArchiveCompression.None => compressed,
        ArchiveCompression.Gzip => new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: false),
        ArchiveCompression.Bzip2 => BZip2Stream.Create(compressed, SharpCompressionMode.Decompress, decompressConcatenated: true, leaveOpen: false),
        ArchiveCompression.Xz => new OwningStream(new XZStream(compressed), compressed),
        ArchiveCompression.Zstd => new ZstdDecompressStream(compressed),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>Opens <paramref name="path"/> and decompresses it according to its magic bytes.</summary>
    public static Stream OpenFile(string path, out ArchiveCompression format)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 64 * 1024, FileOptions.SequentialScan);
        try
        {
            format = Detect(file);
            return Open(file, format);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Decompresses a stream that cannot seek (a pipe, an upload) according to its magic bytes, which are read and
    /// replayed. <paramref name="input"/> stays open: it is the caller's.
    /// </summary>
    public static async Task<Stream> OpenAsync(Stream input, CancellationToken cancellationToken)
    {
        var (head, replay) = await PrefixedStream.PeekAsync(input, MagicLength, leaveOpen: true, cancellationToken).ConfigureAwait(false);
        return Open(replay, Detect(head.Span));
    }

    /// <summary>Whether <paramref name="e"/> is a decompressor's complaint about damaged input (any of the formats above), as opposed to an I/O failure.</summary>
    public static bool IsCorruptInput(Exception e) =>
        e is InvalidDataException or EndOfStreamException or FormatException
        || e.GetType().Namespace?.StartsWith("SharpCompress", StringComparison.Ordinal) == true;

    /// <summary>Read-only wrapper that disposes an extra stream with the wrapped one (XZStream does not promise to close its input).</summary>
    private sealed class OwningStream(Stream inner, Stream owned) : SequentialReadStream
    {
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                owned.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
