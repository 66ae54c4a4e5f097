using System.Formats.Tar;
using System.Text;
using Sbuild.Archive.Tar;
using Sbuild.Core;

namespace Sbuild.Archive.Tests;

/// <summary>sbuild's tar writer and reader against each other and against System.Formats.Tar.</summary>
public sealed class TarFormatTests
{
    [Fact]
    public async Task Headers_round_trip_through_the_writer_and_reader_including_pax_only_fields()
    {
        TarHeader[] headers =
        [
            new() { Name = "dir/", Kind = TarEntryKind.Directory, Mode = 0b111_101_101, ModificationTime = 1_700_000_000 },
            new()
            {
                Name = new string('x', 99) + "/" + "ünïcode-name", Kind = TarEntryKind.File, Mode = 0b110_100_100 | 0x800, Uid = 5_000_000, Gid = 7,
                Size = 3, ModificationTime = 1_600_000_000, Xattrs = new Dictionary<string, byte[]> { ["security.capability"] = [0x01, 0x00, 0x00, 0x02, 0x80, 0xFF] },
            },
            new() { Name = "link", Kind = TarEntryKind.Symlink, LinkName = new string('t', 101) },
            new() { Name = "hard", Kind = TarEntryKind.HardLink, LinkName = "dir/" },
            new() { Name = "tty", Kind = TarEntryKind.CharDevice, DeviceMajor = 4, DeviceMinor = 64, Mode = 0b110_010_000 },
        ];
        var tar = new MemoryStream();
        var writer = new PaxTarWriter(tar);
        foreach (var h in headers) await writer.WriteEntryAsync(h, h.Size > 0 ? new MemoryStream("abc"u8.ToArray()) : null, CancellationToken.None);
        await writer.FinishAsync(CancellationToken.None);

        tar.Position = 0;
        var reader = new TarArchiveReader(tar);
        foreach (var expected in headers)
        {
            var actual = await reader.ReadNextAsync(CancellationToken.None);
            Assert.NotNull(actual);
            Assert.Equal(expected with { Xattrs = TarHeader.EmptyXattrs }, actual with { Xattrs = TarHeader.EmptyXattrs });
            Assert.Equal(expected.Xattrs.Keys, actual.Xattrs.Keys);
            foreach (var (name, value) in expected.Xattrs) Assert.Equal(value, actual.Xattrs[name]);
            if (expected.Size > 0) Assert.Equal("abc", new StreamReader(reader.DataStream).ReadToEnd());
        }
        Assert.Null(await reader.ReadNextAsync(CancellationToken.None));
        Assert.Equal(tar.Length, tar.Position); // nothing left unread: the end marker was consumed as the end
    }

    [Fact]
    public async Task The_same_headers_give_the_same_bytes_and_other_readers_agree()
    {
        async Task<byte[]> Write()
        {
            var tar = new MemoryStream();
            var writer = new PaxTarWriter(tar);
            await writer.WriteEntryAsync(new TarHeader { Name = new string('p', 120), Kind = TarEntryKind.File, Size = 2, ModificationTime = 86400 }, new MemoryStream("hi"u8.ToArray()), CancellationToken.None);
            await writer.FinishAsync(CancellationToken.None);
            return tar.ToArray();
        }

        var first = await Write();
        Assert.Equal(first, await Write());
        Assert.Equal(512 + 512 + 512 + 512 + 1024, first.Length); // pax header + records + header + data + end marker

        var entry = Assert.Single(BclTarEntries(first));
        Assert.Equal((new string('p', 120), 2L, DateTimeOffset.FromUnixTimeSeconds(86400)), (entry.Name, entry.Length, entry.ModificationTime));
    }

    [Fact]
    public async Task Data_of_the_wrong_length_is_refused()
    {
        var writer = new PaxTarWriter(new MemoryStream());
        var header = new TarHeader { Name = "f", Kind = TarEntryKind.File, Size = 4 };

        var shrank = await Assert.ThrowsAsync<SbuildException>(() => writer.WriteEntryAsync(header, new MemoryStream("abc"u8.ToArray()), CancellationToken.None));
        var grew = await Assert.ThrowsAsync<SbuildException>(() => writer.WriteEntryAsync(header, new MemoryStream("abcde"u8.ToArray()), CancellationToken.None));

        Assert.Contains("shrank", shrank.Message);
        Assert.Contains("grew", grew.Message);
    }

    [Fact]
    public async Task A_corrupted_checksum_is_reported_with_its_offset()
    {
        var tar = new MemoryStream();
        var writer = new PaxTarWriter(tar);
        await writer.WriteEntryAsync(new TarHeader { Name = "f", Kind = TarEntryKind.Directory }, null, CancellationToken.None);
        await writer.FinishAsync(CancellationToken.None);
        var bytes = tar.ToArray();
        bytes[10] ^= 0x20;

        var error = await Assert.ThrowsAsync<SbuildException>(() => new TarArchiveReader(new MemoryStream(bytes)).ReadNextAsync(CancellationToken.None));

        Assert.Equal(ErrorCode.InvalidArchive, error.Code);
        Assert.Contains("byte 0", error.Message);
        Assert.Contains("checksum", error.Message);
    }

    [Fact]
    public async Task Sparse_files_are_refused()
    {
        var block = new byte[1024 + 512];
        Encoding.ASCII.GetBytes("sparse").CopyTo(block, 0);
        Encoding.ASCII.GetBytes("0000644\0").CopyTo(block, 100);
        Encoding.ASCII.GetBytes("00000000000\0").CopyTo(block, 124);
        Encoding.ASCII.GetBytes("00000000000\0").CopyTo(block, 136);
        block[156] = (byte)'S';
        Encoding.ASCII.GetBytes("ustar  \0").CopyTo(block, 257);
        var sum = 0;
        for (var i = 0; i < 512; i++) sum += i is >= 148 and < 156 ? ' ' : block[i];
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(block, 148);

        var error = await Assert.ThrowsAsync<SbuildException>(() => new TarArchiveReader(new MemoryStream(block)).ReadNextAsync(CancellationToken.None));

        Assert.Contains("sparse", error.Message);
    }

    /// <summary>The entries as System.Formats.Tar (an independent reader) sees them.</summary>
    private static List<(string Name, long Length, DateTimeOffset ModificationTime)> BclTarEntries(byte[] tar)
    {
        var entries = new List<(string, long, DateTimeOffset)>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } e) entries.Add((e.Name, e.Length, e.ModificationTime));
        return entries;
    }
}
