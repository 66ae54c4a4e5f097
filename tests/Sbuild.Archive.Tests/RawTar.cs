using System.Text;
using Sbuild.TestSupport;

namespace Sbuild.Archive.Tests;

/// <summary>Tar bytes laid out by hand, for header shapes no writer at hand produces (V7 typeflags, odd types, signed sums).</summary>
internal static class RawTar
{
    /// <summary>One 512-byte ustar header with every field given; the checksum is summed as unsigned or signed bytes.</summary>
    public static byte[] Header(string name, byte type, long size = 0, string mtimeField = "00000000000", bool signedChecksum = false, bool ustar = true)
    {
        var block = new byte[512];
        Encoding.UTF8.GetBytes(name).CopyTo(block, 0);
        Encoding.ASCII.GetBytes("0000644\0").CopyTo(block, 100);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(block, 108);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(block, 116);
        Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0') + "\0").CopyTo(block, 124);
        Encoding.ASCII.GetBytes(mtimeField + "\0").CopyTo(block, 136);
        block[156] = type;
        if (ustar) Encoding.ASCII.GetBytes("ustar\000").CopyTo(block, 257);
        TarChecksums.Rewrite(block, signedChecksum);
        return block;
    }

    /// <summary>A PAX extended header ('x') holding <paramref name="records"/>, padded to whole blocks.</summary>
    public static byte[] Pax(params (string Key, string Value)[] records)
    {
        var data = new StringBuilder();
        foreach (var (key, value) in records)
        {
            var body = $" {key}={value}\n";
            var length = body.Length + 1;
            while ((length.ToString().Length + body.Length) != length) length++;
            data.Append(length).Append(body);
        }
        var bytes = Encoding.UTF8.GetBytes(data.ToString());
        return [.. Header("PaxHeaders.0/x", (byte)'x', bytes.Length), .. Padded(bytes)];
    }

    /// <summary><paramref name="data"/> padded with zeros to a multiple of 512 bytes.</summary>
    public static byte[] Padded(byte[] data) => [.. data, .. new byte[(512 - data.Length % 512) % 512]];

    /// <summary>The end-of-archive marker: two zero blocks.</summary>
    public static byte[] End => new byte[1024];
}
