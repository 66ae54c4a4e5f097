using Pidgin;
using static Pidgin.Parser;
using static Pidgin.Parser<char>;

namespace Sbuild.Parser.Binding;

/// <summary>
/// Go's <c>time.ParseDuration</c> (e.g. <c>30s</c>, <c>1h30m</c>, <c>1.5ms</c>, <c>-2h</c>) with nanosecond results,
/// as used by HEALTHCHECK <c>--interval</c> and friends.
/// </summary>
internal static class GoDuration
{
    private static readonly Dictionary<string, ulong> Units = new(StringComparer.Ordinal)
    {
        ["ns"] = 1,
        ["us"] = 1_000,
        ["\u00b5s"] = 1_000, // micro sign
        ["\u03bcs"] = 1_000, // Greek mu
        ["ms"] = 1_000_000,
        ["s"] = 1_000_000_000,
        ["m"] = 60_000_000_000,
        ["h"] = 3_600_000_000_000,
    };

    private readonly record struct Segment(string Whole, string? Fraction, string Unit);

    private static readonly Parser<char, char> Digit09 = Token(c => c is >= '0' and <= '9');

    // [0-9]* (\.[0-9]*)? unit   — starts with a digit or '.'; the unit is every following character that is
    // not a digit or '.'.
    private static readonly Parser<char, Segment> SegmentParser =
        Lookahead(Token(c => c is '.' or (>= '0' and <= '9'))).Then(Map((whole, fraction, unit) => new Segment(whole, fraction.HasValue ? fraction.Value : null, unit),
            Digit09.ManyString(),
            Char('.').Then(Digit09.ManyString()).Optional(),
            Token(c => c != '.' && c is not (>= '0' and <= '9')).ManyString()));

    private static readonly Parser<char, (bool Negative, List<Segment> Segments)> DurationParser =
        Map((sign, segments) => (sign.HasValue && sign.Value == '-', segments.ToList()),
            OneOf('+', '-').Optional(),
            SegmentParser.AtLeastOnce())
        .Before(End);

    /// <summary>Nanoseconds, or an error message in Go's wording.</summary>
    public static (long Nanoseconds, string? Error) Parse(string text)
    {
        string invalid = $"time: invalid duration {Text.GoQuote.Quote(text)}";
        string body = text.Length > 0 && text[0] is '+' or '-' ? text[1..] : text;
        if (body == "0") return (0, null);
        if (body.Length == 0) return (0, invalid);

        var parsed = DurationParser.Parse(text);
        if (!parsed.Success) return (0, invalid);

        ulong total = 0;
        const ulong limit = 1UL << 63;
        foreach (var seg in parsed.Value.Segments)
        {
            bool pre = seg.Whole.Length > 0, post = seg.Fraction is { Length: > 0 };
            if (!pre && !post) return (0, invalid);
            if (seg.Unit.Length == 0) return (0, $"time: missing unit in duration {Text.GoQuote.Quote(text)}");
            if (!Units.TryGetValue(seg.Unit, out ulong unit))
                return (0, $"time: unknown unit {Text.GoQuote.Quote(seg.Unit)} in duration {Text.GoQuote.Quote(text)}");
            if (!ulong.TryParse(seg.Whole.Length == 0 ? "0" : seg.Whole, out ulong v) || v > limit / unit) return (0, invalid);
            v *= unit;
            if (post)
            {
                var (f, scale) = Fraction(seg.Fraction!);
                if (f > 0) v += (ulong)(f * (unit / scale));
                if (v > limit) return (0, invalid);
            }
            total += v;
            if (total > limit) return (0, invalid);
        }
        if (parsed.Value.Negative) return (total == limit ? long.MinValue : -(long)total, null);
        if (total > long.MaxValue) return (0, invalid);
        return ((long)total, null);
    }

    /// <summary>Go's leadingFraction: the digits as an integer and the power of ten they are scaled by.</summary>
    private static (double Value, double Scale) Fraction(string digits)
    {
        ulong f = 0;
        double scale = 1;
        bool overflow = false;
        foreach (char c in digits)
        {
            if (overflow) continue;
            if (f > long.MaxValue / 10) { overflow = true; continue; }
            ulong y = f * 10 + (ulong)(c - '0');
            if (y > 1UL << 63) { overflow = true; continue; }
            f = y;
            scale *= 10;
        }
        return (f, scale);
    }
}
