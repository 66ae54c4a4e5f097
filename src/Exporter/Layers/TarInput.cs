using System.Formats.Tar;
using System.IO.Compression;
using Sbuild.Core;
using ZstdSharp;

namespace Sbuild.Exporter;

/// <summary>
/// Reads a user-supplied layer archive: recognises gzip/zstd, checks the first header, and parses the whole tar while
/// it is copied so damaged input is refused rather than stored.
/// </summary>
internal static class TarInput
{
    private const int BlockSize = 512;
    private const int ChecksumOffset = 148;
    private const int ChecksumLength = 8;
    private static ReadOnlySpan<byte> GzipMagic => [0x1f, 0x8b];
    private static ReadOnlySpan<byte> ZstdMagic => [0x28, 0xb5, 0x2f, 0xfd];

    /// <summary>The plain tar bytes of <paramref name="input"/>, which stays open (it is the caller's).</summary>
    public static async Task<Stream> OpenAsync(Stream input, CancellationToken cancellationToken)
    {
        var (magic, raw) = await PrefixedStream.PeekAsync(input, ZstdMagic.Length, leaveOpen: true, cancellationToken).ConfigureAwait(false);
        Stream tar = magic.Span.StartsWith(GzipMagic) ? new GZipStream(raw, CompressionMode.Decompress, leaveOpen: false)
            : magic.Span.StartsWith(ZstdMagic) ? new DecompressionStream(raw, leaveOpen: false)
            : raw;
        try
        {
            var (header, checkedTar) = await PrefixedStream.PeekAsync(tar, BlockSize, leaveOpen: false, cancellationToken).ConfigureAwait(false);
            CheckFirstBlock(header.Span);
            return checkedTar;
        }
        catch (Exception e) when (IsCorruptInput(e))
        {
            await tar.DisposeAsync().ConfigureAwait(false);
            throw new SbuildException(ErrorCode.InvalidArchive, $"the layer archive is corrupt: {e.Message}", e);
        }
        catch
        {
            await tar.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Copies the whole tar into <paramref name="sink"/>, parsing it on the way: a damaged or truncated archive fails
    /// (.NET's gzip reader quietly stops at a truncation; the tar structure does not).
    /// </summary>
    public static async Task CopyCheckedAsync(Stream tar, Stream sink, CancellationToken cancellationToken)
    {
        var tee = new TeeReadStream(tar, sink);
        var reader = new TarReader(tee, leaveOpen: true);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is not null) { }
        }
        await tee.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false); // padding after the end-of-archive marker
    }

    /// <summary>Errors the decompressors and the tar reader raise for damaged input.</summary>
    public static bool IsCorruptInput(Exception e) =>
        e is InvalidDataException or ZstdException or EndOfStreamException or FormatException;

    private static void CheckFirstBlock(ReadOnlySpan<byte> block)
    {
        if (block.IsEmpty)
            throw new SbuildException(ErrorCode.InvalidArchive, "the layer archive is empty; expected a tar archive (optionally gzip- or zstd-compressed)");
        if (block.Length < BlockSize)
            throw new SbuildException(ErrorCode.InvalidArchive, $"the layer archive is only {block.Length} bytes long, too short for a tar archive");
        if (block.IndexOfAnyExcept((byte)0) < 0) return; // end-of-archive marker: an empty tar
        if (!HasValidChecksum(block))
            throw new SbuildException(ErrorCode.InvalidArchive, "the layer archive is not a tar archive (its first header has no valid checksum); expected a tar, tar.gz or tar.zst file");
    }

    // The header checksum is the byte sum of the block with the checksum field itself counted as spaces.
    private static bool HasValidChecksum(ReadOnlySpan<byte> block)
    {
        var field = block.Slice(ChecksumOffset, ChecksumLength);
        var digits = field.Trim(" \0"u8);
        if (digits.IsEmpty) return false;
        long stored = 0;
        foreach (var c in digits)
        {
            if (c is < (byte)'0' or > (byte)'7') return false;
            stored = stored * 8 + (c - '0');
        }
        long sum = ' ' * ChecksumLength;
        for (var i = 0; i < BlockSize; i++)
            if (i is < ChecksumOffset or >= ChecksumOffset + ChecksumLength) sum += block[i];
        return sum == stored;
    }
}
