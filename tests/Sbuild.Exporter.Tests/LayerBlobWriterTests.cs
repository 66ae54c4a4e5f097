using System.Formats.Tar;
using System.IO.Compression;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Exporter.Tests;

public sealed class LayerBlobWriterTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FileContentStore _store;
    private readonly byte[] _tar = TestImage.LayerTar(
        TestImage.Directory("etc/"),
        TestImage.File("etc/hello.txt", "hello\n"u8.ToArray(), 0b110_100_100),
        TestImage.File("etc/big.bin", Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7 % 251)).ToArray(), 0b110_100_100));

    public LayerBlobWriterTests() => _store = new FileContentStore(_dir.Combine("store"));

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Gzip_layer_has_diff_id_of_the_tar_and_digest_of_the_stored_bytes()
    {
        var layer = TestImage.WriteLayer(_store, _tar);

        Assert.Equal(Digest.Of(_tar), layer.DiffId);
        Assert.Equal(MediaTypes.OciLayerGzip, layer.Blob.MediaType);
        var blob = File.ReadAllBytes(_store.PathOf(layer.Blob.Digest));
        Assert.Equal(Digest.Of(blob), layer.Blob.Digest);
        Assert.Equal(blob.Length, layer.Blob.Size);
        Assert.True(blob.Length < _tar.Length, "the blob should be compressed");
        // The system gzip, not .NET, decompresses it back to the exact tar.
        var gunzipped = await ProcessRunner.RunAsync("/bin/sh", ["-c", $"{Tools.Gzip} -dc < {_store.PathOf(layer.Blob.Digest)} | sha256sum"], CancellationToken.None);
        Assert.StartsWith(layer.DiffId.Encoded, gunzipped.StandardOutput);
    }

    [Fact]
    public void Gzip_header_carries_no_timestamp_or_file_name()
    {
        var layer = TestImage.WriteLayer(_store, _tar);
        var header = File.ReadAllBytes(_store.PathOf(layer.Blob.Digest))[..10];

        Assert.Equal(new byte[] { 0x1f, 0x8b, 8 }, header[..3]); // gzip magic, deflate
        Assert.Equal(0, header[3]);                                // FLG: no FNAME, FCOMMENT, FEXTRA
        Assert.Equal(new byte[4], header[4..8]);                    // MTIME = 0
    }

    [Fact]
    public void Same_tar_gives_the_same_blob_however_it_is_written_and_flushed()
    {
        var whole = TestImage.WriteLayer(_store, _tar);

        using var writer = new LayerBlobWriter(_store);
        foreach (var chunk in _tar.Chunk(1000))
        {
            writer.Stream.Write(chunk);
            writer.Stream.Flush(); // must not put sync-flush markers into the deflate stream
        }
        var chunked = writer.Commit();

        Assert.Equal(whole, chunked);
    }

    // Several 1 MiB deflate blocks, the last one partial: text that compresses, and random bytes that do not.
    private static byte[] BigTar() => TestImage.LayerTar(
        TestImage.File("text.txt", System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 120_000).Select(i => $"line {i}\n"))), 0b110_100_100),
        TestImage.File("noise.bin", new Random(7).GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 2_500_000), 0b110_100_100));

    [Fact]
    public async Task A_layer_of_many_blocks_is_one_gzip_member_the_system_gzip_reads_back()
    {
        var tar = BigTar();
        var layer = TestImage.WriteLayer(_store, tar);
        var path = _store.PathOf(layer.Blob.Digest);

        var test = await ProcessRunner.RunAsync(Tools.Gzip, ["-t", path], CancellationToken.None);
        Assert.Equal(0, test.ExitCode);
        var gunzipped = await ProcessRunner.RunAsync("/bin/sh", ["-c", $"{Tools.Gzip} -dc < {path} | sha256sum"], CancellationToken.None);
        Assert.StartsWith(Digest.Of(tar).Encoded, gunzipped.StandardOutput);
        // .NET's reader stops at the end of the first member: one member holds it all.
        await using var reader = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var copy = new MemoryStream();
        await reader.CopyToAsync(copy);
        Assert.Equal(tar, copy.ToArray());
        Assert.True(layer.Blob.Size < tar.Length, "the text part should compress");
    }

    [Fact]
    public async Task Random_data_goes_in_stored_and_random_data_that_repeats_is_deflated()
    {
        var noise = new Random(11).GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 3_000_000);
        // Every byte value about equally often, like the noise, but an 8 KiB run repeated: deflate finds the repeats.
        var repeated = Enumerable.Repeat(noise[..8192], 3_000_000 / 8192).SelectMany(run => run).ToArray();
        var noiseTar = TestImage.LayerTar(TestImage.File("noise.bin", noise, 0b110_100_100));
        var repeatedTar = TestImage.LayerTar(TestImage.File("repeated.bin", repeated, 0b110_100_100));

        var stored = TestImage.WriteLayer(_store, noiseTar);
        var deflated = TestImage.WriteLayer(_store, repeatedTar);

        // Stored blocks cost 5 bytes per 65,535; the header and trailer 18 bytes.
        var storedBlob = File.ReadAllBytes(_store.PathOf(stored.Blob.Digest));
        Assert.InRange(storedBlob.Length, noiseTar.Length, noiseTar.Length + noiseTar.Length / 65_535 * 5 + 200);
        Assert.True(storedBlob.AsSpan().IndexOf(noise.AsSpan(2_000_000, 4096)) > 0, "random data should be in the blob as it is");
        Assert.True(deflated.Blob.Size < repeatedTar.Length / 10, $"repeated data should deflate: {deflated.Blob.Size} of {repeatedTar.Length} bytes");
        foreach (var (layer, tar) in new[] { (stored, noiseTar), (deflated, repeatedTar) })
        {
            var gunzipped = await ProcessRunner.RunAsync("/bin/sh", ["-c", $"{Tools.Gzip} -dc < {_store.PathOf(layer.Blob.Digest)} | sha256sum"], CancellationToken.None);
            Assert.StartsWith(Digest.Of(tar).Encoded, gunzipped.StandardOutput);
        }
    }

    [Fact]
    public void A_layer_of_many_blocks_gives_the_same_blob_however_it_is_written()
    {
        var tar = BigTar();
        var whole = TestImage.WriteLayer(_store, tar);

        using var writer = new LayerBlobWriter(_store);
        var offset = 0;
        foreach (var size in Enumerable.Range(1, int.MaxValue).Select(i => i * 7919 % 300_000 + 1))
        {
            var n = Math.Min(size, tar.Length - offset);
            writer.Stream.Write(tar, offset, n);
            offset += n;
            if (offset == tar.Length) break;
        }

        Assert.Equal(whole, writer.Commit());
    }

    [Fact]
    public async Task An_empty_layer_is_a_valid_gzip_of_nothing()
    {
        using var writer = new LayerBlobWriter(_store);
        var layer = writer.Commit();

        Assert.Equal(Digest.Of([]), layer.DiffId);
        var gunzipped = await ProcessRunner.RunAsync("/bin/sh", ["-c", $"{Tools.Gzip} -dc < {_store.PathOf(layer.Blob.Digest)} | wc -c"], CancellationToken.None);
        Assert.Equal("0", gunzipped.StandardOutput.Trim());
    }

    [Fact]
    public async Task A_TarWriter_can_stream_into_it_and_close_the_stream()
    {
        LayerBlob layer;
        using (var writer = new LayerBlobWriter(_store))
        {
            await using (var tar = new TarWriter(writer.Stream)) // closes writer.Stream when disposed
            {
                var entry = new UstarTarEntry(TarEntryType.RegularFile, "streamed.txt") { DataStream = new MemoryStream("streamed\n"u8.ToArray()) };
                await tar.WriteEntryAsync(entry);
            }
            layer = writer.Commit();
        }

        await using var blob = new GZipStream(_store.OpenRead(layer.Blob.Digest), CompressionMode.Decompress);
        var buffer = new MemoryStream();
        await blob.CopyToAsync(buffer);
        Assert.Equal(Digest.Of(buffer.ToArray()), layer.DiffId);
        buffer.Position = 0;
        var read = new TarReader(buffer).GetNextEntry()!;
        Assert.Equal("streamed.txt", read.Name);
    }

    [Fact]
    public async Task Zstd_layer_decompresses_with_the_zstd_tool_to_the_tar()
    {
        var zstd = Tools.Zstd;
        var layer = TestImage.WriteLayer(_store, _tar, LayerCompression.Zstd);

        Assert.Equal(MediaTypes.OciLayerZstd, layer.Blob.MediaType);
        Assert.Equal(Digest.Of(_tar), layer.DiffId);
        Assert.Equal(Digest.Of(File.ReadAllBytes(_store.PathOf(layer.Blob.Digest))), layer.Blob.Digest);
        var output = _dir.Combine("layer.tar");
        await ProcessRunner.RunAsync(zstd, ["-q", "-d", _store.PathOf(layer.Blob.Digest), "-o", output], CancellationToken.None);
        Assert.Equal(_tar, File.ReadAllBytes(output));
    }

    [Fact]
    public void Uncompressed_layer_is_the_tar_itself()
    {
        var layer = TestImage.WriteLayer(_store, _tar, LayerCompression.Uncompressed);

        Assert.Equal(MediaTypes.OciLayer, layer.Blob.MediaType);
        Assert.Equal(layer.DiffId, layer.Blob.Digest);
        Assert.Equal(_tar, File.ReadAllBytes(_store.PathOf(layer.Blob.Digest)));
    }

    [Fact]
    public void Disposing_without_commit_stores_nothing()
    {
        using (var writer = new LayerBlobWriter(_store))
            writer.Stream.Write(_tar);

        Assert.Empty(_store.Walk());
        Assert.Empty(Directory.EnumerateFiles(_dir.Combine("store", "ingest")));
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("gzip")]
    [InlineData("zstd")]
    public async Task Import_accepts_plain_gzip_and_zstd_tars_and_hashes_the_plain_tar(string format)
    {
        var plain = _dir.Combine("layer.tar");
        await File.WriteAllBytesAsync(plain, _tar);
        var input = format switch
        {
            "gzip" => await CompressAsync(Tools.Gzip, "-c", plain),
            "zstd" => await CompressAsync(Tools.Zstd, "-q", "-c", plain),
            _ => plain,
        };

        await using var stream = File.OpenRead(input);
        var layer = await LayerBlobWriter.ImportTarAsync(_store, stream);

        Assert.Equal(Digest.Of(_tar), layer.DiffId);
        Assert.Equal(MediaTypes.OciLayerGzip, layer.Blob.MediaType);
        Assert.Equal(layer.Blob, TestImage.WriteLayer(_store, _tar).Blob); // same bytes as writing the tar directly
    }

    [Fact]
    public async Task Import_refuses_a_file_that_is_not_a_tar()
    {
        var error = await Assert.ThrowsAsync<SbuildException>(() =>
            LayerBlobWriter.ImportTarAsync(_store, new MemoryStream(new byte[2048].Select((_, i) => (byte)('a' + i % 26)).ToArray())));

        Assert.Equal(ErrorCode.InvalidArchive, error.Code);
        Assert.Contains("not a tar archive", error.Message);
        Assert.Empty(_store.Walk());
    }

    [Fact]
    public async Task Import_refuses_an_empty_file()
    {
        var error = await Assert.ThrowsAsync<SbuildException>(() => LayerBlobWriter.ImportTarAsync(_store, new MemoryStream()));

        Assert.Equal(ErrorCode.InvalidArchive, error.Code);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public async Task Import_reports_a_truncated_gzip_as_a_corrupt_archive()
    {
        var plain = _dir.Combine("layer.tar");
        await File.WriteAllBytesAsync(plain, _tar);
        var gzipped = await File.ReadAllBytesAsync(await CompressAsync(Tools.Gzip, "-c", plain));

        var error = await Assert.ThrowsAsync<SbuildException>(() =>
            LayerBlobWriter.ImportTarAsync(_store, new MemoryStream(gzipped[..(gzipped.Length / 2)])));

        Assert.Equal(ErrorCode.InvalidArchive, error.Code);
        Assert.Empty(_store.Walk());
    }

    [Theory]
    [InlineData("bzip2", "bzip2")]
    [InlineData("xz", "xz-utils")]
    public async Task Import_accepts_every_compression_docker_import_does(string tool, string package)
    {
        // Recognised by content with the same detector as ADD's archives; the import path used to know gzip and zstd only.
        var plain = _dir.Combine("layer.tar");
        await File.WriteAllBytesAsync(plain, _tar);
        var input = await CompressAsync(Tools.Require(tool, $"apt-get install {package}"), "-c", plain);

        await using var stream = File.OpenRead(input);
        var layer = await LayerBlobWriter.ImportTarAsync(_store, stream);

        Assert.Equal(Digest.Of(_tar), layer.DiffId);
    }

    [Fact]
    public async Task Import_accepts_zstd_that_starts_with_a_skippable_frame()
    {
        var plain = _dir.Combine("layer.tar");
        await File.WriteAllBytesAsync(plain, _tar);
        var zstd = await File.ReadAllBytesAsync(await CompressAsync(Tools.Zstd, "-q", "-c", plain));
        byte[] skippable = [0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, (byte)'s', (byte)'k', (byte)'i', (byte)'p'];

        var layer = await LayerBlobWriter.ImportTarAsync(_store, new MemoryStream([.. skippable, .. zstd]));

        Assert.Equal(Digest.Of(_tar), layer.DiffId);
    }

    [Fact]
    public async Task Import_accepts_a_header_summed_as_signed_bytes()
    {
        // Go's archive/tar (docker import) accepts the signed sum some old writers recorded; the import check did not.
        var tar = UstarTar("caf\u00e9.txt", "x");
        TarChecksums.Rewrite(tar.AsSpan(0, 512), signed: true);

        var layer = await LayerBlobWriter.ImportTarAsync(_store, new MemoryStream(tar));

        Assert.Equal(Digest.Of(tar), layer.DiffId);
    }

    [Fact]
    public async Task Import_refuses_entries_no_build_could_apply()
    {
        // The import used to store what System.Formats.Tar could list; the build's layer reader then refused it.
        var tar = UstarTar("volume", "");
        tar[156] = (byte)'V'; // typeflag: GNU tape volume header
        TarChecksums.Rewrite(tar.AsSpan(0, 512));

        var error = await Assert.ThrowsAsync<SbuildException>(() => LayerBlobWriter.ImportTarAsync(_store, new MemoryStream(tar)));

        Assert.Equal(ErrorCode.InvalidArchive, error.Code);
        Assert.Contains("volume", error.Message);
        Assert.Empty(_store.Walk());
    }

    /// <summary>A one-file ustar archive written by System.Formats.Tar.</summary>
    private static byte[] UstarTar(string name, string content)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Ustar, leaveOpen: true))
            writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)) });
        return tar.ToArray();
    }

    private async Task<string> CompressAsync(string tool, params string[] args)
    {
        var output = _dir.Combine("compressed-" + Path.GetFileName(tool));
        var quoted = string.Join(' ', args.Select(a => $"'{a}'"));
        await ProcessRunner.RunAsync("/bin/sh", ["-c", $"{tool} {quoted} > '{output}'"], CancellationToken.None);
        return output;
    }
}
