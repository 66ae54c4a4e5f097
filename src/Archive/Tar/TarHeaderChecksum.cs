namespace Sbuild.Archive.Tar;

/// <summary>
/// The tar header checksum, computed and checked in this one place for every writer and reader: the sum of the
/// 512 header bytes with the 8-byte checksum field itself counted as spaces.
/// </summary>
public static class TarHeaderChecksum
{
    public const int Offset = 148, Length = 8;

    /// <summary>The checksum a writer records: the bytes summed as unsigned values.</summary>
    public static int Compute(ReadOnlySpan<byte> block) => Sum(block, signed: false);

    /// <summary>
    /// Whether <paramref name="block"/> is a tar header as Go's archive/tar trusts one: the checksum field (octal,
    /// padded with spaces or NULs on either side) equals the byte sum, counted as unsigned or, for old writers that
    /// summed signed chars, as signed bytes. An all-zero block (the end-of-archive marker) never is.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<byte> block)
    {
        if (block.Length != TarFormat.BlockSize) return false;
        if (!TryParseOctal(block.Slice(Offset, Length), out var recorded)) return false;
        return recorded == Sum(block, signed: false) || recorded == Sum(block, signed: true);
    }

    private static int Sum(ReadOnlySpan<byte> block, bool signed)
    {
        var sum = 0;
        for (var i = 0; i < TarFormat.BlockSize; i++)
        {
            var b = i is >= Offset and < Offset + Length ? (byte)' ' : block[i];
            sum += signed ? (sbyte)b : b;
        }
        return sum;
    }

    /// <summary>An octal number padded with spaces or NULs on either side (an empty field is 0, which no header sums to).</summary>
    private static bool TryParseOctal(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        foreach (var d in field.Trim(" \0"u8))
        {
            if (d is < (byte)'0' or > (byte)'7') return false;
            value = (value << 3) | (long)(d - '0');
        }
        return true;
    }
}
