using System.Text;
using Sbuild.Archive.Compression;
using Sbuild.Archive.Compression.Zstd;
using Sbuild.TestSupport;

namespace Sbuild.Archive.Tests;

/// <summary>
/// The libzstd streams against the zstd tool: what they write, the tool reads back (and checks); what the tool writes,
/// they read; and the compressed bytes depend on the data and level only, not on the worker count or the chunking.
/// </summary>
public sealed class ZstdStreamTests : IDisposable
{
    private readonly TempDirectory _dir = new("sbuild-zstd-");

    public void Dispose() => _dir.Dispose();

    // 20 MiB, several of libzstd's multi-threaded jobs at level 3: text that compresses, and random bytes that do not.
    private static byte[] Data()
    {
        var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 800_000).Select(i => $"line {i} of the layer\n")));
        var noise = new byte[20 << 20];
        new Random(11).NextBytes(noise);
        text.CopyTo(noise, 0);
        return noise;
    }

    private static byte[] Compress(byte[] data, int workers, int chunk = 1 << 20, int level = 3)
    {
        var output = new MemoryStream();
        using (var zstd = new ZstdCompressStream(output, level, workers))
            foreach (var piece in data.Chunk(chunk)) zstd.Write(piece);
        return output.ToArray();
    }

    [Fact]
    public async Task What_it_writes_the_zstd_tool_checks_and_decompresses_to_the_input()
    {
        var data = Data();
        var file = _dir.Combine("data.zst");
        File.WriteAllBytes(file, Compress(data, workers: 2));

        var test = await ProcessRunner.RunAsync(Tools.Zstd, ["-t", "-q", file], CancellationToken.None);
        Assert.Equal(0, test.ExitCode);
        await ProcessRunner.RunAsync(Tools.Zstd, ["-d", "-q", file, "-o", _dir.Combine("data")], CancellationToken.None);
        Assert.Equal(data, File.ReadAllBytes(_dir.Combine("data")));
        // zstd -lv reports the frame's content checksum (XXH64), which the stream asks libzstd to write.
        var list = await ProcessRunner.RunAsync(Tools.Zstd, ["-lv", file], CancellationToken.None);
        Assert.Contains("Check: XXH64", list.StandardOutput);
    }

    [Fact]
    public void The_bytes_are_the_same_for_any_worker_count_and_any_chunking()
    {
        var data = Data();
        var reference = Compress(data, workers: 1);

        Assert.Equal(reference, Compress(data, workers: 2));
        Assert.Equal(reference, Compress(data, workers: 4));
        Assert.Equal(reference, Compress(data, workers: 2, chunk: 7919));
        Assert.NotEqual(reference, Compress(data, workers: 1, level: 9));
    }

    [Fact]
    public async Task It_reads_what_the_zstd_tool_writes_including_several_frames_and_skippable_ones()
    {
        var first = Data();
        var second = Encoding.ASCII.GetBytes("a second frame\n");
        File.WriteAllBytes(_dir.Combine("a"), first);
        File.WriteAllBytes(_dir.Combine("b"), second);
        await ProcessRunner.RunAsync(Tools.Zstd, ["-q", "-9", "--long=27", _dir.Combine("a"), "-o", _dir.Combine("a.zst")], CancellationToken.None);
        await ProcessRunner.RunAsync(Tools.Zstd, ["-q", _dir.Combine("b"), "-o", _dir.Combine("b.zst")], CancellationToken.None);
        byte[] skippable = [0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 1, 2, 3];
        var stream = new MemoryStream([.. skippable, .. File.ReadAllBytes(_dir.Combine("a.zst")), .. File.ReadAllBytes(_dir.Combine("b.zst"))]);

        await using var zstd = new ZstdDecompressStream(stream);
        var output = new MemoryStream();
        await zstd.CopyToAsync(output, 4096); // small reads: the decoder hands out what it holds across calls
        Assert.Equal([.. first, .. second], output.ToArray());
    }

    [Fact]
    public void Truncated_or_damaged_input_is_corrupt_input()
    {
        var compressed = Compress(Data(), workers: 1);

        var truncated = Assert.Throws<InvalidDataException>(() => ReadAll(compressed[..(compressed.Length / 2)]));
        Assert.Contains("truncated", truncated.Message);
        var damaged = compressed.ToArray();
        for (var i = 1000; i < 1100; i++) damaged[i] ^= 0x5A;
        var error = Assert.ThrowsAny<Exception>(() => ReadAll(damaged));
        Assert.True(Decompression.IsCorruptInput(error), error.ToString());
    }

    [Fact]
    public void An_empty_input_compresses_to_a_frame_of_nothing()
    {
        var compressed = Compress([], workers: 2);

        Assert.Equal(ArchiveCompression.Zstd, Decompression.Detect(compressed));
        Assert.Empty(ReadAll(compressed));
    }

    private static byte[] ReadAll(byte[] compressed)
    {
        using var zstd = Decompression.Open(new MemoryStream(compressed), ArchiveCompression.Zstd);
        var output = new MemoryStream();
        zstd.CopyTo(output);
        return output.ToArray();
    }
}
