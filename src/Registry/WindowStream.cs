using Sbuild.Core;

namespace Sbuild.Registry;

/// <summary>
/// The next <c>length</c> bytes of a stream, read-only, without owning it: an upload body (a whole blob or one chunk)
/// streamed from the blob file with bounded memory.
/// </summary>
internal sealed class WindowStream(Stream inner, long windowLength) : SequentialReadStream
{
    private readonly long _length = windowLength;
    private long _remaining = windowLength;

    public override long Length => _length;
    public override long Position { get => _length - _remaining; set => throw new NotSupportedException(); }

    public override int Read(Span<byte> buffer)
    {
        if (_remaining == 0) return 0;
        var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, _remaining)]);
        return Consumed(n);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_remaining == 0) return 0;
        var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken).ConfigureAwait(false);
        return Consumed(n);
    }

    private int Consumed(int n)
    {
        if (n == 0) throw new EndOfStreamException($"the blob ended {_remaining} bytes early");
        _remaining -= n;
        return n;
    }
}
