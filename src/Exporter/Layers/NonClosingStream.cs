using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>
/// Forwards writes but ignores Dispose and Flush: a caller that closes what it was handed (a TarWriter does by default)
/// cannot tear down the pipeline behind it, and a caller's flushes cannot put sync-flush markers into a compressed
/// stream, whose bytes then depend only on the data written.
/// </summary>
internal sealed class NonClosingStream(Stream inner) : SequentialWriteStream
{
    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
    public override void WriteByte(byte value) => inner.WriteByte(value);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(buffer, cancellationToken);

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
