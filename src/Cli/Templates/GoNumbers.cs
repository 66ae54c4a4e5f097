using System.Globalization;
using System.Text;

namespace Sbuild.Cli.Templates;

/// <summary>
/// Go's <c>%g</c> / <c>%.Ng</c> formatting of a float64 (strconv's rules: N significant digits, trailing zeros dropped,
/// an exponent when it is below -4 or at least the precision), which docker's size columns print through
/// go-units' <c>HumanSizeWithPrecision</c>.
/// </summary>
public static class GoNumbers
{
    /// <summary><paramref name="precision"/> -1: the shortest digits that read back as the same number (Go's %v).</summary>
    public static string FormatG(double value, int precision)
    {
        if (value == 0) return "0";
        var negative = value < 0;
        var (digits, point) = Decimal(Math.Abs(value), precision);
        var shortest = precision < 0;
        var prec = shortest ? digits.Length : precision;
        var eprec = prec;
        if (eprec > digits.Length && digits.Length >= point) eprec = digits.Length;
        if (shortest) eprec = 6;
        var exponent = point - 1;
        var text = new StringBuilder(negative ? "-" : "");
        if (exponent < -4 || exponent >= eprec)
        {
            if (prec > digits.Length) prec = digits.Length;
            text.Append(digits[0]);
            if (prec > 1) text.Append('.').Append(digits, 1, prec - 1);
            text.Append(exponent < 0 ? "e-" : "e+").Append(Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture));
            return text.ToString();
        }
        if (prec > point) prec = digits.Length;
        var decimals = Math.Max(prec - point, 0);
        // Integer part: the digits before the point, zero-padded; then the fraction, zero-padded.
        if (point <= 0) text.Append('0');
        else for (var i = 0; i < point; i++) text.Append(i < digits.Length ? digits[i] : '0');
        if (decimals > 0)
        {
            text.Append('.');
            for (var i = 0; i < decimals; i++)
            {
                var index = point + i;
                text.Append(index >= 0 && index < digits.Length ? digits[index] : '0');
            }
        }
        return text.ToString();
    }

    /// <summary>The significant digits (no trailing zeros) and the decimal point's position: value = 0.DIGITS × 10^point.</summary>
    private static (string Digits, int Point) Decimal(double value, int precision)
    {
        // "E" with N-1 decimals rounds to N significant digits exactly (IEEE-correct since .NET Core 3.0); the shortest
        // form is the fewest digits that parse back to the same double.
        var text = value.ToString("E" + (precision < 0 ? 16 : precision - 1), CultureInfo.InvariantCulture);
        for (var p = 1; precision < 0 && p <= 17; p++)
        {
            var candidate = value.ToString("E" + (p - 1), CultureInfo.InvariantCulture);
            if (double.Parse(candidate, CultureInfo.InvariantCulture) != value) continue;
            text = candidate;
            break;
        }
        var e = text.IndexOf('E');
        var mantissa = text[..e].Replace(".", "");
        var exponent = int.Parse(text[(e + 1)..], CultureInfo.InvariantCulture);
        return (mantissa.TrimEnd('0') is { Length: > 0 } d ? d : "0", exponent + 1);
    }
}

/// <summary>go-units' human-readable sizes and durations, as the docker CLI prints them.</summary>
public static class DockerUnits
{
    private static readonly string[] DecimalUnits = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

    /// <summary>HumanSizeWithPrecision: decimal units (1000), <paramref name="precision"/> significant digits: "1.98MB".</summary>
    public static string HumanSize(double size, int precision = 4)
    {
        var unit = 0;
        while (size >= 1000 && unit < DecimalUnits.Length - 1)
        {
            size /= 1000;
            unit++;
        }
        return GoNumbers.FormatG(size, precision) + DecimalUnits[unit];
    }

    /// <summary>HumanDuration: "Less than a second", "About a minute", "3 hours", "2 weeks", "56 years".</summary>
    public static string HumanDuration(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds;
        if (seconds < 1) return "Less than a second";
        if (seconds == 1) return "1 second";
        if (seconds < 60) return $"{seconds} seconds";
        var minutes = (long)d.TotalMinutes;
        if (minutes == 1) return "About a minute";
        if (minutes < 60) return $"{minutes} minutes";
        var hours = (long)(d.TotalHours + 0.5);
        if (hours == 1) return "About an hour";
        if (hours < 48) return $"{hours} hours";
        if (hours < 24 * 7 * 2) return $"{hours / 24} days";
        if (hours < 24 * 30 * 2) return $"{hours / 24 / 7} weeks";
        if (hours < 24 * 365 * 2) return $"{hours / 24 / 30} months";
        return $"{(long)d.TotalHours / 24 / 365} years";
    }
}
