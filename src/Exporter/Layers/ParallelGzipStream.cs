using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>
/// A write-only gzip stream that deflates fixed 1 MiB blocks on every core at once, as pigz does, and writes them in
/// order. Each block is a deflate run of its own (no window shared with the block before it) ending in a sync flush,
/// the last one ends the stream; so the output is one ordinary gzip member that any reader takes, and it depends only
/// on the bytes written and the level — never on the number of cores or on how the writes were chunked.
/// </summary>
/// <remarks>
/// At most twice as many blocks as cores are in flight, their buffers rented from the shared pool and given back once
/// written, so memory stays bounded (and garbage low) whatever the layer's size. The CRC-32 of the trailer is computed
/// as the data arrives (vectorised), the deflating runs on the thread pool.
/// </remarks>
internal sealed class ParallelGzipStream : SequentialWriteStream
{
    public const int BlockSize = 1024 * 1024;

    // Room for a block that does not compress: deflate's worst case is a few hundred bytes over the input for 1 MiB,
    // plus the sync flush and the end of the stream.
    private const int OutputSize = BlockSize + 64 * 1024;

    // RFC 1952 header: magic, deflate, no flags, no mtime, no extra flags, OS "unknown" (Go's gzip writer writes the same).
    private static readonly byte[] Header = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

    private readonly Stream _output;
    private readonly int _level;
    private readonly int _maxInFlight = Math.Max(2, 2 * Environment.ProcessorCount);
    private readonly Queue<Task<(byte[] Buffer, int Length)>> _inFlight = new();
    private readonly Crc32 _crc = new();
    private byte[] _block = ArrayPool<byte>.Shared.Rent(BlockSize);
    private int _filled;
    private long _length;
    private bool _finished;

    public ParallelGzipStream(Stream output, int level)
    {
        _output = output;
        _level = level;
        _output.Write(Header);
    }

    // Async writes go through the same path: the work is in-memory copying and handing blocks to the pool.
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override bool CanWrite => !_finished;
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        _crc.Append(buffer);
        _length += buffer.Length;
        while (!buffer.IsEmpty)
        {
            // A full block is handed on only when more data comes: the last block, full or not, ends the stream.
            if (_filled == BlockSize) Submit(final: false);
            var n = Math.Min(buffer.Length, BlockSize - _filled);
            buffer[..n].CopyTo(_block.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
        }
    }

    // Flush does nothing (the base's): a flush must not cut a block short, or the output would depend on where callers
    // flushed.

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_finished)
        {
            _finished = true;
            Submit(final: true);
            while (_inFlight.Count > 0) WriteOldest();
            Span<byte> trailer = stackalloc byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(trailer, _crc.GetCurrentHashAsUInt32());
            BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], (uint)_length);
            _output.Write(trailer);
        }
        base.Dispose(disposing);
    }

    /// <summary>Hands the current block to the pool; writes finished blocks out while too many are in flight.</summary>
    private void Submit(bool final)
    {
        var block = _block;
        var count = _filled;
        var level = _level;
        _inFlight.Enqueue(Task.Run(() => Deflate(block, count, level, final)));
        _block = final ? [] : ArrayPool<byte>.Shared.Rent(BlockSize);
        _filled = 0;
        while (_inFlight.Count >= _maxInFlight) WriteOldest();
    }

    private void WriteOldest()
    {
        var (buffer, length) = _inFlight.Dequeue().GetAwaiter().GetResult();
        _output.Write(buffer, 0, length);
        ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>
    /// One block as raw deflate, ending in a sync flush (byte-aligned, not final) or ending the stream, in a rented
    /// buffer; the input block goes back to the pool.
    /// </summary>
    private static (byte[] Buffer, int Length) Deflate(byte[] block, int count, int level, bool final)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(OutputSize);
        try
        {
            using var compressed = new MemoryStream(buffer, 0, buffer.Length, writable: true);
            var deflate = new DeflateStream(compressed, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true);
            deflate.Write(block, 0, count);
            if (final)
            {
                deflate.Dispose();
                return (buffer, (int)compressed.Position);
            }
            deflate.Flush(); // Z_SYNC_FLUSH: everything so far, then an empty stored block
            var length = (int)compressed.Position;
            deflate.Dispose(); // appends the end of a stream this block does not end; those bytes are not used
            return (buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }
}
