namespace Sbuild.Build;

/// <summary>Checks a 512-byte block the way Go's archive/tar does before it trusts it as a header.</summary>
internal static class TarHeaderBlock
{
    public const int Size = 512;
    private const int ChecksumOffset = 148, ChecksumLength = 8;

    /// <summary>
    /// Not an end-of-archive (zero) block, and the checksum field (octal) equals the sum of the block's bytes with the
    /// field itself counted as spaces, summed as unsigned or, for old writers, as signed bytes.
    /// </summary>
    public static bool IsValidHeader(ReadOnlySpan<byte> block)
    {
        if (block.Length != Size || !block.ContainsAnyExcept((byte)0)) return false;
        if (!TryParseOctal(block.Slice(ChecksumOffset, ChecksumLength), out var recorded)) return false;
        long unsignedSum = 0, signedSum = 0;
        for (var i = 0; i < Size; i++)
        {
            var inChecksumField = i is >= ChecksumOffset and < ChecksumOffset + ChecksumLength;
            var b = inChecksumField ? (byte)' ' : block[i];
            unsignedSum += b;
            signedSum += (sbyte)b;
        }
        return recorded == unsignedSum || recorded == signedSum;
    }

    /// <summary>An octal number padded with spaces or NULs on either side (an empty field is 0).</summary>
    private static bool TryParseOctal(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        var digits = field.Trim(" \0"u8);
        if (digits.Length > 21) return false; // would overflow 63 bits
        foreach (var d in digits)
        {
            if (d is < (byte)'0' or > (byte)'7') return false;
            value = (value << 3) | (long)(d - '0');
        }
        return true;
    }
}
