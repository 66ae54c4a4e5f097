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
/// on the bytes written and the level — never on the number of cores or on how the writes were chunked. A block of
/// data that does not compress (<see cref="LooksIncompressible"/>) goes in as stored blocks instead of being deflated.
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
            if (level > 0 && LooksIncompressible(block.AsSpan(0, count)))
                return (buffer, Store(block.AsSpan(0, count), buffer, final));
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

    // Samples of a block as long as deflate's window, so a repeat within the window shows in the sample too.
    private const int SampleSize = 32 * 1024;
    private const int Samples = 4;

    /// <summary>
    /// Whether a block is data deflate cannot shrink: already compressed or encrypted (archives, media, model weights).
    /// Deflating such a block costs about 30 ms per MiB and core for nothing, so it is stored as it is. Four samples
    /// spread over the block decide: their bytes must spread over all values almost evenly (order-0 entropy above 7.9
    /// bits a byte; text and code stay far below), and a fast deflate of each must find nothing to shorten, which rules
    /// out random-looking data that repeats itself. A small block is always deflated.
    /// </summary>
    private static bool LooksIncompressible(ReadOnlySpan<byte> block)
    {
        if (block.Length < 2 * Samples * SampleSize) return false;
        var stride = (block.Length - SampleSize) / (Samples - 1);
        Span<int> counts = stackalloc int[256];
        counts.Clear();
        for (var i = 0; i < Samples; i++)
            foreach (var b in block.Slice(i * stride, SampleSize)) counts[b]++;
        double total = Samples * SampleSize, entropy = 0;
        foreach (var count in counts)
            if (count > 0) entropy -= count / total * Math.Log2(count / total);
        if (entropy < 7.9) return false;
        var probe = ArrayPool<byte>.Shared.Rent(2 * SampleSize);
        try
        {
            for (var i = 0; i < Samples; i++)
            {
                using var compressed = new MemoryStream(probe, 0, probe.Length, writable: true);
                using (var deflate = new DeflateStream(compressed, new ZLibCompressionOptions { CompressionLevel = 1 }, leaveOpen: true))
                    deflate.Write(block.Slice(i * stride, SampleSize));
                if (compressed.Position < SampleSize * 98 / 100) return false;
            }
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(probe);
        }
    }

    /// <summary>
    /// <paramref name="data"/> as deflate stored blocks (RFC 1951 3.2.4: header bits, padding to the byte, LEN, NLEN, the
    /// bytes), at most 65,535 bytes each; the last one ends the stream when <paramref name="final"/>. A block starts on
    /// a byte boundary (after the gzip header, or after the block before, which ends byte-aligned), so its header is one
    /// byte: BFINAL in bit 0, BTYPE 00 and the padding zero.
    /// </summary>
    private static int Store(ReadOnlySpan<byte> data, Span<byte> output, bool final)
    {
        var written = 0;
        do
        {
            var n = Math.Min(data.Length, ushort.MaxValue);
            output[written] = final && n == data.Length ? (byte)1 : (byte)0;
            BinaryPrimitives.WriteUInt16LittleEndian(output[(written + 1)..], (ushort)n);
            BinaryPrimitives.WriteUInt16LittleEndian(output[(written + 3)..], (ushort)~n);
            data[..n].CopyTo(output[(written + 5)..]);
            written += 5 + n;
            data = data[n..];
        } while (!data.IsEmpty);
        return written;
    }
}
