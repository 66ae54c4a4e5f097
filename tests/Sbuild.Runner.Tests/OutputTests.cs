using System.Text;

namespace Sbuild.Runner.Tests;

public class LineReaderTests
{
    /// <summary>Hands out at most one byte per read, the worst case for line and UTF-8 splitting.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 1)], ct);
    }

    private static async Task<List<string>> LinesAsync(Stream stream)
    {
        var lines = new List<string>();
        await LineReader.PumpAsync(stream, null, lines.Add, CancellationToken.None);
        return lines;
    }

    [Fact]
    public async Task Splits_on_newlines_drops_carriage_returns_and_keeps_an_unterminated_last_line()
    {
        var lines = await LinesAsync(new TrickleStream(Encoding.UTF8.GetBytes("one\r\ntwo\n\nthree")));

        Assert.Equal(["one", "two", "", "three"], lines);
    }

    [Fact]
    public async Task Multi_byte_characters_split_across_reads_are_decoded_whole()
    {
        var lines = await LinesAsync(new TrickleStream(Encoding.UTF8.GetBytes("grüße 🙂\n")));

        Assert.Equal(["grüße 🙂"], lines);
    }

    [Fact]
    public async Task The_raw_bytes_are_handed_out_unchanged_beside_the_lines()
    {
        // Invalid UTF-8 (a lone continuation byte, a cut-off sequence), a bare \r, \r\n and no final newline.
        byte[] data = [.. "a\rb\r\n"u8, 0x80, 0xFF, (byte)'\n', (byte)'x', 0xC3];
        var raw = new MemoryStream();
        var lines = new List<string>();

        await LineReader.PumpAsync(new TrickleStream(data), bytes => raw.Write(bytes), lines.Add, CancellationToken.None);

        Assert.Equal(data, raw.ToArray());
        Assert.Equal(["a\rb", "\uFFFD\uFFFD", "x\uFFFD"], lines);
    }

    [Fact]
    public async Task An_endless_line_is_cut_into_bounded_pieces()
    {
        var text = new string('x', LineReader.MaxLineLength * 2 + 10) + "\n";

        var lines = await LinesAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)));

        Assert.Equal([LineReader.MaxLineLength, LineReader.MaxLineLength, 10], lines.Select(l => l.Length));
    }
}

public class RunOutputTests
{
    [Fact]
    public void Tail_keeps_the_last_lines_of_both_streams_in_arrival_order()
    {
        var seen = new List<(OutputStream, string)>();
        var output = new RunOutput((stream, line) => seen.Add((stream, line)), tailCapacity: 2);

        output.Add(OutputStream.Stdout, "a");
        output.Add(OutputStream.Stderr, "b");
        output.Add(OutputStream.Stdout, "c");

        Assert.Equal(["b", "c"], output.Tail);
        Assert.Equal([(OutputStream.Stdout, "a"), (OutputStream.Stderr, "b"), (OutputStream.Stdout, "c")], seen);
    }
}
