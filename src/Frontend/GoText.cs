using System.Globalization;
using System.Text;
using Sbuild.Core;
using Sbuild.Parser.Text;

namespace Sbuild.Frontend;

/// <summary>
/// Go's fmt output for the values BuildKit prints into history entries (<c>created_by</c>): slices with <c>%v</c> and
/// <c>%q</c>, <c>time.Duration</c>'s String and the HEALTHCHECK struct with <c>%+v</c>. Image digests pinned by users
/// depend on these texts byte for byte.
/// </summary>
public static class GoText
{
    /// <summary><c>%v</c> of a []string: <c>[a b c]</c>.</summary>
    public static string List(IEnumerable<string> items) => "[" + string.Join(' ', items) + "]";

    /// <summary><c>%q</c> of a []string: <c>["a" "b \"c\""]</c>.</summary>
    public static string QuotedList(IEnumerable<string> items) => "[" + string.Join(' ', items.Select(GoQuote.Quote)) + "]";

    /// <summary><c>%+v</c> of BuildKit's HealthcheckConfig: <c>{Test:[CMD x] Interval:30s Timeout:0s StartPeriod:0s StartInterval:0s Retries:3}</c>.</summary>
    public static string Healthcheck(HealthConfig health) =>
        $"{{Test:{List(health.Test ?? [])} Interval:{Duration(health.Interval ?? 0)} Timeout:{Duration(health.Timeout ?? 0)} " +
        $"StartPeriod:{Duration(health.StartPeriod ?? 0)} StartInterval:{Duration(health.StartInterval ?? 0)} Retries:{health.Retries ?? 0}}}";

    /// <summary>Go's <c>time.Duration.String</c>: <c>0s</c>, <c>1.5ms</c>, <c>30s</c>, <c>1m30s</c>, <c>2h0m0s</c>.</summary>
    public static string Duration(long nanoseconds)
    {
        if (nanoseconds == 0) return "0s";
        var negative = nanoseconds < 0;
        var u = negative ? (ulong)-(nanoseconds + 1) + 1 : (ulong)nanoseconds;
        var text = new StringBuilder();
        if (u < 1_000_000_000)
        {
            // Under a second: the largest unit below it that keeps an integer part, with the fraction trimmed.
            var (unit, digits) = u < 1_000 ? ("ns", 0) : u < 1_000_000 ? ("µs", 3) : ("ms", 6);
            text.Append(Fraction(u, digits)).Append(unit);
        }
        else
        {
            var seconds = u / 1_000_000_000;
            var fraction = Fraction(u % 1_000_000_000 + 1_000_000_000, 9)[1..]; // "" or ".5"
            var (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
            if (h > 0) text.Append(h.ToString(CultureInfo.InvariantCulture)).Append('h');
            if (h > 0 || m > 0) text.Append(m.ToString(CultureInfo.InvariantCulture)).Append('m');
            text.Append(s.ToString(CultureInfo.InvariantCulture)).Append(fraction).Append('s');
        }
        return (negative ? "-" : "") + text;
    }

    /// <summary><paramref name="value"/> / 10^<paramref name="digits"/> with the fraction's trailing zeros (and a bare point) dropped.</summary>
    private static string Fraction(ulong value, int digits)
    {
        var scale = 1UL;
        for (var i = 0; i < digits; i++) scale *= 10;
        var fraction = (value % scale).ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');
        return (value / scale).ToString(CultureInfo.InvariantCulture) + (fraction.Length > 0 ? "." + fraction : "");
    }
}
