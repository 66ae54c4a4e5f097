using Sbuild.Archive.Compression;
using Sbuild.Archive.Tar;
using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>
/// Reads a user-supplied layer archive: its compression is recognised by content (<see cref="Decompression"/>, as for
/// ADD), the first header is checked for a friendly message, and the whole tar is parsed by sbuild's one tar reader
/// while it is copied, so damaged input — or anything a build could not apply later — is refused rather than stored.
/// </summary>
internal static class TarInput
{
    private const int BlockSize = 512;

    /// <summary>The plain tar bytes of <paramref name="input"/>, which stays open (it is the caller's).</summary>
    public static async Task<Stream> OpenAsync(Stream input, CancellationToken cancellationToken)
    {
        var tar = await Decompression.OpenAsync(input, cancellationToken).ConfigureAwait(false);
        try
        {
            var (header, checkedTar) = await PrefixedStream.PeekAsync(tar, BlockSize, leaveOpen: false, cancellationToken).ConfigureAwait(false);
            CheckFirstBlock(header.Span);
            return checkedTar;
        }
        catch (Exception e) when (Decompression.IsCorruptInput(e))
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
        var reader = new TarArchiveReader(new TeeReadStream(tar, sink));
        // The reader skips each entry's data and, after the end marker, reads the padding to the end of the input.
        while (await reader.ReadNextAsync(cancellationToken).ConfigureAwait(false) is not null) { }
    }

    private static void CheckFirstBlock(ReadOnlySpan<byte> block)
    {
        if (block.IsEmpty)
            throw new SbuildException(ErrorCode.InvalidArchive, "the layer archive is empty; expected a tar archive (optionally gzip-, bzip2-, xz- or zstd-compressed)");
        if (block.Length < BlockSize)
            throw new SbuildException(ErrorCode.InvalidArchive, $"the layer archive is only {block.Length} bytes long, too short for a tar archive");
        if (block.IndexOfAnyExcept((byte)0) < 0) return; // end-of-archive marker: an empty tar
        if (!TarHeaderChecksum.IsValid(block))
            throw new SbuildException(ErrorCode.InvalidArchive, "the layer archive is not a tar archive (its first header has no valid checksum); expected a tar, tar.gz, tar.bz2, tar.xz or tar.zst file");
    }
}
