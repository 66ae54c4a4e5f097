using Sbuild.Core;

namespace Sbuild.Archive.Tar;

/// <summary>Decodes the fixed-width fields of a tar header block, as Go's archive/tar reads them.</summary>
internal static class TarFields
{
    /// <summary>
    /// A numeric field: octal text padded with spaces or NULs, or GNU base-256 (two's complement, so negative times
    /// from before 1970 survive) when the high bit of the first byte is set. Null when the field is neither.
    /// </summary>
    public static long? Number(ReadOnlySpan<byte> field)
    {
        if ((field[0] & 0x80) != 0) return Base256(field);
        long result = 0;
        foreach (var c in field.Trim(" \0"u8))
        {
            if (c is < (byte)'0' or > (byte)'7' || result > (long.MaxValue >> 3)) return null;
            result = (result << 3) | (long)(c - '0');
        }
        return result;
    }

    /// <summary>Big-endian two's complement after the marker bit; null when it does not fit 63 bits.</summary>
    private static long? Base256(ReadOnlySpan<byte> field)
    {
        var invert = (field[0] & 0x40) != 0 ? (byte)0xFF : (byte)0; // negative: read the inverted bits, -a-1 == ~a
        ulong value = 0;
        for (var i = 0; i < field.Length; i++)
        {
            var b = (byte)(field[i] ^ invert);
            if (i == 0) b &= 0x7F;
            if (value >> 56 != 0) return null;
            value = (value << 8) | b;
        }
        if (value >> 63 != 0) return null;
        return invert == 0 ? (long)value : ~(long)value;
    }

    /// <summary>A NUL-terminated (or full-width) name field, its bytes kept as <see cref="EscapedNames"/> decodes them.</summary>
    public static string Text(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return EscapedNames.Decode(end < 0 ? field : field[..end]);
    }
}
