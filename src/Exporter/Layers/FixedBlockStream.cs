using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>
/// Re-blocks writes into fixed-size chunks. Compressors (zlib-ng, zstd) may emit different bytes for the same data
/// fed in different pieces; feeding them identical chunks makes a layer blob depend only on its tar bytes, not on
/// how the caller happened to write them.
/// </summary>
internal sealed class FixedBlockStream(Stream inner, int blockSize = FixedBlockStream.DefaultBlockSize) : SequentialWriteStream
{
    public const int DefaultBlockSize = 128 * 1024;
    private readonly byte[] _block = new byte[blockSize];
    private int _filled;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = Math.Min(buffer.Length, _block.Length - _filled);
            buffer[..n].CopyTo(_block.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == _block.Length)
            {
                inner.Write(_block);
                _filled = 0;
            }
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var n = Math.Min(buffer.Length, _block.Length - _filled);
            buffer[..n].CopyTo(_block.AsMemory(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == _block.Length)
            {
                await inner.WriteAsync(_block, cancellationToken).ConfigureAwait(false);
                _filled = 0;
            }
        }
    }

    /// <summary>Passes on the last, partial block. Call once, after the last write.</summary>
    public void WriteFinalBlock()
    {
        if (_filled > 0) inner.Write(_block.AsSpan(0, _filled));
        _filled = 0;
    }

    // Flush does nothing (the base's): flushing would split a block; the owner calls WriteFinalBlock instead.
}
