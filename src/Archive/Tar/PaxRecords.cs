using System.Globalization;
using System.Text;

namespace Sbuild.Archive.Tar;

/// <summary>The "LEN KEY=VALUE\n" records of a PAX extended header, and the values sbuild reads from them.</summary>
internal static class PaxRecords
{
    /// <summary>Adds the records of <paramref name="data"/> to <paramref name="records"/>; later records override earlier ones. False if malformed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, Dictionary<string, byte[]> records)
    {
        while (!data.IsEmpty)
        {
            var space = data.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(data[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || length <= space + 1 || length > data.Length || data[length - 1] != (byte)'\n')
                return false;
            var record = data[(space + 1)..(length - 1)];
            var equals = record.IndexOf((byte)'=');
            if (equals <= 0) return false;
            records[Encoding.UTF8.GetString(record[..equals])] = record[(equals + 1)..].ToArray();
            data = data[length..];
        }
        return true;
    }

    /// <summary>
    /// A PAX time, "[-]SECONDS[.FRACTION]", as whole seconds (floored) plus nanoseconds; digits past the ninth are
    /// dropped, as Go's archive/tar does. False if malformed.
    /// </summary>
    public static bool TryParseTime(string text, out long seconds, out int nanoseconds)
    {
        nanoseconds = 0;
        var dot = text.IndexOf('.');
        var whole = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? "" : text[(dot + 1)..];
        if (!long.TryParse(whole, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out seconds)) return false;
        if (!fraction.All(char.IsAsciiDigit)) return false;
        if (fraction.Length == 0) return true;
        var fractionNs = int.Parse(fraction.PadRight(9, '0')[..9], NumberStyles.None, CultureInfo.InvariantCulture);
        if (!whole.StartsWith('-') || fractionNs == 0)
        {
            nanoseconds = fractionNs;
            return true;
        }
        // "-1.25" is 1.25 s before the epoch: -2 s plus 0.75 s.
        seconds -= 1;
        nanoseconds = 1_000_000_000 - fractionNs;
        return true;
    }
}
