using Sbuild.Archive.Compression;
using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>
/// Turns an uncompressed layer tar into a stored layer blob in one streaming pass: the caller writes the tar into
/// <see cref="Stream"/>; it is hashed (diff_id), compressed, hashed again (blob digest) and written to the content store.
/// The blob depends only on the tar bytes and the compression, never on how the caller chunked or flushed its writes.
/// Dispose without <see cref="Commit"/> discards the blob.
/// </summary>
public sealed class LayerBlobWriter : IDisposable
{
    private readonly LayerCompression _compression;
    private readonly IContentWriter _blob;
    private readonly Stream _compressor;
    private readonly FixedBlockStream _blocks;
    private readonly HashingStream? _uncompressed;
    private readonly Digest? _diffId;
    private bool _committed;

    /// <param name="level">Compression level; null for the compression's default.</param>
    /// <param name="diffId">The tar's digest when it is known already (a stored uncompressed blob being compressed):
    /// then the tar is not hashed again.</param>
    public LayerBlobWriter(IContentStore store, LayerCompression compression = LayerCompression.Gzip, int? level = null, Digest? diffId = null)
    {
        _compression = compression;
        _diffId = diffId;
        _blob = store.OpenWriter();
        try
        {
            _compressor = compression.Compress(_blob.Stream, level);
            _blocks = new FixedBlockStream(_compressor);
            _uncompressed = diffId is null ? new HashingStream(_blocks, leaveOpen: true) : null;
            Stream = new NonClosingStream((Stream?)_uncompressed ?? _blocks);
        }
        catch
        {
            _blob.Dispose();
            throw;
        }
    }

    /// <summary>Write the uncompressed layer tar here. Disposing or flushing it is harmless.</summary>
    public Stream Stream { get; }

    /// <summary>Finishes compression and publishes the blob.</summary>
    public LayerBlob Commit()
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        var diffId = _diffId ?? _uncompressed!.GetDigest();
        _blocks.WriteFinalBlock();
        _compressor.Dispose(); // writes the compression trailer
        var blob = _blob.Commit(_compression.MediaType());
        _committed = true;
        return new LayerBlob(diffId, blob);
    }

    public void Dispose()
    {
        try
        {
            _uncompressed?.Dispose();
            if (!_committed) _compressor.Dispose();
        }
        finally
        {
            _blob.Dispose();
        }
    }

    /// <summary>
    /// Stores an existing layer tar (for <c>sbuild image import</c>). Compressed input (gzip, bzip2, xz or zstd, found by
    /// content as <c>docker import</c> finds it) is decompressed first, so the diff_id is always that of the plain tar;
    /// input that is not a tar, or holds entries a build could not apply, is refused.
    /// </summary>
    public static async Task<LayerBlob> ImportTarAsync(IContentStore store, Stream input,
        LayerCompression compression = LayerCompression.Gzip, CancellationToken cancellationToken = default)
    {
        await using var tar = await TarInput.OpenAsync(input, cancellationToken).ConfigureAwait(false);
        using var writer = new LayerBlobWriter(store, compression);
        try
        {
            await TarInput.CopyCheckedAsync(tar, writer.Stream, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Decompression.IsCorruptInput(e))
        {
            throw new SbuildException(ErrorCode.InvalidArchive, $"the layer archive is corrupt: {e.Message}", e);
        }
        return writer.Commit();
    }
}
