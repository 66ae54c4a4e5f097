using Sbuild.Core;

namespace Sbuild.Archive.Compression;

/// <summary>
/// A read-only stream that replays bytes already read from <paramref name="inner"/> before the rest of it:
/// lets us look at the start of a non-seekable stream (magic numbers, a tar header) and still pass all of it on.
/// It cannot seek, but tells its <see cref="Position"/> (bytes read so far), which SharpCompress' xz reader needs.
/// </summary>
public sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream inner, bool leaveOpen) : SequentialReadStream
{
    private ReadOnlyMemory<byte> _prefix = prefix;
    private long _position;

    /// <summary>Reads up to <paramref name="count"/> bytes (fewer only at end of stream) and a stream that still yields them.</summary>
    public static async Task<(ReadOnlyMemory<byte> Head, PrefixedStream Stream)> PeekAsync(
        Stream inner, int count, bool leaveOpen, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        var read = await inner.ReadAtLeastAsync(buffer, count, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        var head = buffer.AsMemory(0, read);
        return (head, new PrefixedStream(head, inner, leaveOpen));
    }

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(Span<byte> buffer) => Count(_prefix.IsEmpty ? inner.Read(buffer) : TakePrefix(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(_prefix.IsEmpty ? await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) : TakePrefix(buffer.Span));

    private int Count(int read)
    {
        _position += read;
        return read;
    }

    private int TakePrefix(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _prefix.Length);
        _prefix.Span[..n].CopyTo(buffer);
        _prefix = _prefix[n..];
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen) inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!leaveOpen) await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
