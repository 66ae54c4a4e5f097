namespace Sbuild.Exporter;

/// <summary>
/// A blob being copied into an archive. When TarWriter copies it straight into the output file, the bytes move
/// file-to-file inside the kernel (copy_file_range) instead of through a user-space buffer.
/// </summary>
internal sealed class BlobReadStream(Stream inner) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => inner.Position = value; }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => inner.Read(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override void CopyTo(Stream destination, int bufferSize)
    {
        if (inner is FileStream source && destination is FileStream target && KernelCopy.TryCopyToEnd(source, target, CancellationToken.None))
            return;
        inner.CopyTo(destination, bufferSize); // continues from wherever a partial kernel copy stopped
    }

    public override Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
    {
        if (inner is FileStream source && destination is FileStream target && KernelCopy.TryCopyToEnd(source, target, cancellationToken))
            return Task.CompletedTask;
        return inner.CopyToAsync(destination, bufferSize, cancellationToken);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
