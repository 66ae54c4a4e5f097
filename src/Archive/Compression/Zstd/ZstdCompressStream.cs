using Sbuild.Core;

namespace Sbuild.Archive.Compression.Zstd;

/// <summary>
/// A write-only stream that compresses into another one with the native libzstd as one zstd frame (with a content
/// checksum, as the zstd tool writes by default); disposing it ends the frame and leaves the output open.
/// </summary>
/// <remarks>
/// With one or more workers libzstd cuts the input into jobs whose size depends on the parameters only, so the bytes
/// depend on the data, the level and the libzstd version, never on the number of workers or how the writes were
/// chunked (single-threaded mode, zero workers, would give other bytes). Nothing is flushed before the end: a flush in
/// the middle would cut a job short and make the output depend on when callers flushed.
/// </remarks>
public sealed unsafe class ZstdCompressStream : SequentialWriteStream
{
    private readonly Stream _output;
    private readonly NativeZstd.CompressionContext _context;
    // libzstd's recommended output size (ZSTD_CStreamOutSize) is 128 KiB + a block header; more only means fewer writes.
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(256 * 1024, pinned: true);
    private bool _finished;

    /// <param name="workers">Worker threads, at least 1 (see the remarks: 0 would change the output).</param>
    public ZstdCompressStream(Stream output, int level, int workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        _output = output;
        _context = NativeZstd.Compressor(
            (NativeZstd.CompressionLevel, level, "compression-level"),
            (NativeZstd.ChecksumFlag, 1, "checksum"),
            (NativeZstd.NbWorkers, workers, "worker count"));
    }

    public override bool CanWrite => !_finished;
    public override void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        fixed (byte* source = data)
        {
            var input = new NativeZstd.Buffer { Data = source, Size = (nuint)data.Length };
            while (input.Position < input.Size) Step(&input, NativeZstd.Continue);
        }
    }

    // Async writes go through the same path: libzstd's workers do the compressing, this thread only hands data over.
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    // Flush does nothing (the base's): see the remarks.

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_finished)
        {
            _finished = true;
            try
            {
                var input = new NativeZstd.Buffer();
                while (Step(&input, NativeZstd.End) != 0) { }
            }
            finally
            {
                _context.Dispose();
            }
        }
        base.Dispose(disposing);
    }

    /// <summary>One ZSTD_compressStream2 call into the buffer, whose output is written on; returns what is left to flush.</summary>
    private nuint Step(NativeZstd.Buffer* input, int directive)
    {
        fixed (byte* destination = _buffer)
        {
            var output = new NativeZstd.Buffer { Data = destination, Size = (nuint)_buffer.Length };
            var remaining = NativeZstd.Compress(_context, &output, input, directive);
            if (output.Position > 0) _output.Write(_buffer, 0, (int)output.Position);
            return remaining;
        }
    }
}
