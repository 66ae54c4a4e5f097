using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>A read-only stream that also writes everything read from <paramref name="source"/> into <paramref name="sink"/>.</summary>
internal sealed class TeeReadStream(Stream source, Stream sink) : SequentialReadStream
{
    public override int Read(Span<byte> buffer)
    {
        var n = source.Read(buffer);
        sink.Write(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        await sink.WriteAsync(buffer[..n], cancellationToken).ConfigureAwait(false);
        return n;
    }
}
