namespace Sbuild.Registry.Tests;

public sealed class WindowStreamTests
{
    private static byte[] Data(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 7 + 3)).ToArray();

    /// <summary>Hands out at most <c>max</c> bytes per read, like a socket or a pipe.</summary>
    private sealed class TrickleStream(byte[] data, int max) : MemoryStream(data)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, max)]);
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, max));
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, max)], cancellationToken);
    }

    [Fact]
    public void Reads_exactly_the_window_and_leaves_the_inner_stream_after_it()
    {
        var data = Data(1000);
        using var inner = new MemoryStream(data);
        using var window = new WindowStream(inner, 300);
        using var copy = new MemoryStream();

        window.CopyTo(copy);

        Assert.Equal(data[..300], copy.ToArray());
        Assert.Equal(300, inner.Position);
        Assert.Equal(300, window.Length);
        Assert.Equal(300, window.Position);
        Assert.Equal(0, window.Read(new byte[10], 0, 10));
    }

    [Fact]
    public async Task Reads_exactly_the_window_asynchronously()
    {
        var data = Data(1000);
        using var inner = new MemoryStream(data);
        await using var window = new WindowStream(inner, 301);
        using var copy = new MemoryStream();

        await window.CopyToAsync(copy, CancellationToken.None);

        Assert.Equal(data[..301], copy.ToArray());
        Assert.Equal(301, inner.Position);
    }

    [Fact]
    public void A_read_larger_than_the_window_is_cut_to_the_window()
    {
        var data = Data(100);
        using var inner = new MemoryStream(data);
        using var window = new WindowStream(inner, 10);
        var buffer = new byte[64];

        var n = window.Read(buffer, 0, buffer.Length);

        Assert.Equal(10, n);
        Assert.Equal(data[..10], buffer[..10]);
        Assert.Equal(10, inner.Position);
    }

    [Fact]
    public void Consecutive_windows_read_consecutive_chunks()
    {
        var data = Data(1000);
        using var inner = new MemoryStream(data);
        using var first = new MemoryStream();
        using var second = new MemoryStream();

        using (var window = new WindowStream(inner, 400)) window.CopyTo(first);
        using (var window = new WindowStream(inner, 400)) window.CopyTo(second);

        Assert.Equal(data[..400], first.ToArray());
        Assert.Equal(data[400..800], second.ToArray());
        Assert.Equal(800, inner.Position);
    }

    [Fact]
    public void Windows_over_a_stream_that_returns_short_reads_still_get_every_byte()
    {
        var data = Data(1000);
        using var inner = new TrickleStream(data, 7);
        using var first = new MemoryStream();
        using var second = new MemoryStream();

        using (var window = new WindowStream(inner, 500)) window.CopyTo(first);
        using (var window = new WindowStream(inner, 500)) window.CopyTo(second);

        Assert.Equal(data[..500], first.ToArray());
        Assert.Equal(data[500..], second.ToArray());
    }

    [Fact]
    public void Disposing_the_window_leaves_the_inner_stream_open()
    {
        using var inner = new MemoryStream(Data(10));

        using (var window = new WindowStream(inner, 5)) window.CopyTo(Stream.Null);

        Assert.True(inner.CanRead);
        Assert.Equal(5, inner.Position);
        Assert.Equal(Data(10)[5], inner.ReadByte());
    }

    [Fact]
    public void A_zero_length_window_reads_nothing()
    {
        using var inner = new MemoryStream(Data(10));
        using var window = new WindowStream(inner, 0);

        Assert.Equal(0, window.Read(new byte[4], 0, 4));
        Assert.Equal(0, inner.Position);
    }

    [Fact]
    public void An_inner_stream_that_ends_early_throws()
    {
        using var inner = new MemoryStream(Data(100));
        using var window = new WindowStream(inner, 150);

        Assert.Throws<EndOfStreamException>(() => window.CopyTo(Stream.Null));
    }

    [Fact]
    public async Task An_inner_stream_that_ends_early_throws_asynchronously()
    {
        using var inner = new MemoryStream(Data(100));
        await using var window = new WindowStream(inner, 150);

        await Assert.ThrowsAsync<EndOfStreamException>(() => window.CopyToAsync(Stream.Null, CancellationToken.None));
    }

    [Fact]
    public void The_window_is_read_only_and_not_seekable()
    {
        using var inner = new MemoryStream(Data(10));
        using var window = new WindowStream(inner, 5);

        Assert.True(window.CanRead);
        Assert.False(window.CanSeek);
        Assert.False(window.CanWrite);
        Assert.Throws<NotSupportedException>(() => window.Write([1], 0, 1));
        Assert.Throws<NotSupportedException>(() => window.Seek(0, SeekOrigin.Begin));
    }
}
