using Sbuild.Core;

namespace Sbuild.Archive.Compression.Zstd;

/// <summary>
/// A read-only stream of what a zstd stream decompresses to, with the native libzstd: concatenated frames and skippable
/// frames as the zstd tool reads them. Damaged or truncated input throws <see cref="InvalidDataException"/>.
/// </summary>
public sealed class ZstdDecompressStream(Stream compressed, bool leaveOpen = false) : SequentialReadStream
{
    private readonly NativeZstd.DecompressionContext _context = NativeZstd.Decompressor();
    // ZSTD_DStreamInSize is 128 KiB + a block header: a whole block per call.
    private readonly byte[] _input = GC.AllocateUninitializedArray<byte>(256 * 1024, pinned: true);
    private int _position, _filled;
    private bool _endOfInput, _inFrame;

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            if (_position == _filled && !_endOfInput)
            {
                _filled = compressed.Read(_input);
                _position = 0;
                _endOfInput = _filled == 0;
            }
            if (_position == _filled && _endOfInput && !_inFrame) return 0;
            var produced = Decompress(buffer);
            if (produced > 0) return produced;
            if (_position == _filled && _endOfInput) throw Truncated();
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            if (_position == _filled && !_endOfInput)
            {
                _filled = await compressed.ReadAsync(_input, cancellationToken).ConfigureAwait(false);
                _position = 0;
                _endOfInput = _filled == 0;
            }
            if (_position == _filled && _endOfInput && !_inFrame) return 0;
            var produced = Decompress(buffer.Span);
            if (produced > 0) return produced;
            if (_position == _filled && _endOfInput) throw Truncated();
        }
    }

    private static InvalidDataException Truncated() => new("zstd: the compressed data ends in the middle of a frame (truncated)");

    /// <summary>One ZSTD_decompressStream call from the buffered input into <paramref name="destination"/>; returns the bytes it produced.</summary>
    private unsafe int Decompress(Span<byte> destination)
    {
        fixed (byte* source = _input)
        fixed (byte* target = destination)
        {
            var input = new NativeZstd.Buffer { Data = source, Size = (nuint)_filled, Position = (nuint)_position };
            var output = new NativeZstd.Buffer { Data = target, Size = (nuint)destination.Length };
            // Called with no new input too: inside a frame, the decoder may still hold output of a block it has read.
            _inFrame = NativeZstd.Decompress(_context, &output, &input) != 0;
            _position = (int)input.Position;
            return (int)output.Position;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _context.Dispose();
            if (!leaveOpen) compressed.Dispose();
        }
        base.Dispose(disposing);
    }
}
