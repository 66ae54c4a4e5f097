using System.Text;
using Sbuild.Archive.Tar;
using Sbuild.Core;

namespace Sbuild.Archive.Tests;

/// <summary>
/// Tar names that are not valid UTF-8 keep their bytes: read into the escaped form (<see cref="EscapedNames"/>) and
/// written back as Go's archive/tar writes them (a PAX path or linkpath record with the raw bytes, and in the header's
/// name field only the name's ASCII characters: writePAXHeader formats it with toASCII).
/// </summary>
public sealed class NonUtf8TarNameTests
{
    private static readonly byte[] OddName = [(byte)'d', (byte)'/', 0xFF, 0xFE, (byte)'.', (byte)'t', (byte)'x', (byte)'t'];

    [Fact]
    public async Task A_name_field_and_pax_records_with_invalid_utf8_read_back_as_their_bytes()
    {
        var header = RawTar.Header("", (byte)'0');
        OddName.CopyTo(header, 0);
        Sbuild.TestSupport.TarChecksums.Rewrite(header, signed: false);
        var paxData = Records(("path", [.. "p/"u8, 0xE9]), ("linkpath", [.. "t"u8, 0xC3]));
        var paxHeader = RawTar.Header("PaxHeaders.0/x", (byte)'x', paxData.Length);
        var link = RawTar.Header("ignored", (byte)'2');
        var tar = new MemoryStream([.. header, .. paxHeader, .. RawTar.Padded(paxData), .. link, .. RawTar.End]);

        var reader = new TarArchiveReader(tar);
        var first = await reader.ReadNextAsync(CancellationToken.None);
        Assert.Equal(OddName, EscapedNames.Encode(first!.Name));
        Assert.Equal("d/\uDCFF\uDCFE.txt", first.Name);
        var second = await reader.ReadNextAsync(CancellationToken.None);
        Assert.Equal([.. "p/"u8, 0xE9], EscapedNames.Encode(second!.Name));
        Assert.Equal([.. "t"u8, 0xC3], EscapedNames.Encode(second.LinkName));
    }

    [Fact]
    public async Task The_writer_puts_the_raw_bytes_in_pax_records_and_the_ascii_characters_in_the_name_field()
    {
        var tar = new MemoryStream();
        var writer = new PaxTarWriter(tar);
        var name = EscapedNames.Decode(OddName);
        await writer.WriteEntryAsync(new TarHeader { Name = name, Kind = TarEntryKind.Symlink, LinkName = EscapedNames.Decode([0xE9]) }, null, CancellationToken.None);
        await writer.FinishAsync(CancellationToken.None);
        var bytes = tar.ToArray();

        Assert.Equal((byte)'x', bytes[156]);
        var paxData = bytes.AsSpan(512, (int)Convert.ToInt64(Encoding.ASCII.GetString(bytes, 124, 11), 8));
        Assert.Equal(Records(("linkpath", [0xE9]), ("path", OddName)), paxData.ToArray());
        var entry = bytes.AsSpan(1024, 512);
        Assert.Equal("d/.txt"u8.ToArray(), entry[..6].ToArray());
        Assert.Equal(0, entry[6]);
        Assert.Equal(0, entry[157]); // the link name has no ASCII character at all

        tar.Position = 0;
        var read = await new TarArchiveReader(tar).ReadNextAsync(CancellationToken.None);
        Assert.Equal(name, read!.Name);
        Assert.Equal(EscapedNames.Decode([0xE9]), read.LinkName);
    }

    /// <summary>PAX records "LEN KEY=VALUE\n" with raw byte values.</summary>
    private static byte[] Records(params (string Key, byte[] Value)[] records)
    {
        var data = new List<byte>();
        foreach (var (key, value) in records)
        {
            var bodyLength = key.Length + value.Length + 3;
            var length = bodyLength + bodyLength.ToString().Length;
            if (length.ToString().Length > bodyLength.ToString().Length) length++;
            data.AddRange(Encoding.ASCII.GetBytes($"{length} {key}="));
            data.AddRange(value);
            data.Add((byte)'\n');
        }
        return [.. data];
    }
}
