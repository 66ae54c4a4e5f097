using Sbuild.Core;

namespace Sbuild.Core.Tests;

public class HashingStreamTests
{
    [Fact]
    public async Task Hashes_and_counts_what_passes_through_in_any_chunking()
    {
        var data = new byte[300_000];
        new Random(42).NextBytes(data);
        var inner = new MemoryStream();
        using var hashing = new HashingStream(inner, leaveOpen: true);

        hashing.Write(data, 0, 1000);
        hashing.Write(data.AsSpan(1000, 99_000));
        await hashing.WriteAsync(data.AsMemory(100_000, 100_000));
        await hashing.WriteAsync(data, 200_000, 100_000, CancellationToken.None);

        Assert.Equal(Digest.Of(data), hashing.GetDigest());
        Assert.Equal(data.Length, hashing.Length);
        Assert.Equal(data.Length, hashing.Position);
        Assert.Equal(data, inner.ToArray());
    }

    [Fact]
    public void Nothing_written_gives_the_empty_digest()
    {
        using var hashing = new HashingStream(Stream.Null);
        Assert.Equal(Digest.Of(ReadOnlySpan<byte>.Empty), hashing.GetDigest());
        Assert.Equal(0, hashing.Length);
    }

    [Fact]
    public void Is_write_only()
    {
        using var hashing = new HashingStream(new MemoryStream());
        Assert.False(hashing.CanRead);
        Assert.False(hashing.CanSeek);
        Assert.True(hashing.CanWrite);
        Assert.Throws<NotSupportedException>(() => hashing.Read(new byte[1], 0, 1));
        Assert.Throws<NotSupportedException>(() => hashing.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => hashing.Position = 0);
    }

    [Fact]
    public void Dispose_closes_the_inner_stream_unless_told_to_leave_it_open()
    {
        var closed = new MemoryStream();
        new HashingStream(closed).Dispose();
        Assert.False(closed.CanWrite);

        var open = new MemoryStream();
        new HashingStream(open, leaveOpen: true).Dispose();
        Assert.True(open.CanWrite);
    }
}
