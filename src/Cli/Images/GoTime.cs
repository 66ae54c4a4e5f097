using System.Globalization;
using System.Text.RegularExpressions;

namespace Sbuild.Cli.Images;

/// <summary>
/// An image's creation time as Go's time.Time holds it (nanoseconds and the offset it was written with), so that
/// <c>Created</c> prints as docker's JSON prints it (RFC 3339 with the fraction's trailing zeros dropped) and compares
/// to the nanosecond. A config without <c>created</c> is Go's zero time, 0001-01-01T00:00:00Z.
/// </summary>
public readonly partial record struct GoTime(DateTimeOffset Seconds, int Nanoseconds)
{
    public static GoTime Zero { get; } = new(new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.Zero), 0);

    public bool IsZero => this == Zero;

    /// <summary>Unix seconds (Go's Time.Unix: the zero time is -62135596800).</summary>
    public long Unix => Seconds.ToUnixTimeSeconds();

    public static GoTime Parse(string? text)
    {
        if (text is null) return Zero;
        var match = Rfc3339().Match(text);
        if (!match.Success || !DateTimeOffset.TryParse(match.Groups["base"].Value + match.Groups["zone"].Value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var seconds))
            return Zero;
        var fraction = match.Groups["fraction"].Value.PadRight(9, '0')[..9];
        return new GoTime(seconds, int.Parse(fraction, CultureInfo.InvariantCulture));
    }

    public int CompareTo(GoTime other) =>
        Seconds.UtcTicks != other.Seconds.UtcTicks ? Seconds.UtcTicks.CompareTo(other.Seconds.UtcTicks) : Nanoseconds.CompareTo(other.Nanoseconds);

    /// <summary>
    /// time.Now().Sub(time.Unix(seconds, 0)): a Go Duration saturates at about 292 years, which the zero time (a config
    /// without a creation time) reaches.
    /// </summary>
    public static TimeSpan Since(DateTimeOffset now, long unixSeconds)
    {
        var maxSeconds = long.MaxValue / 1_000_000_000;
        var seconds = now.ToUnixTimeSeconds() - unixSeconds;
        return seconds >= maxSeconds ? TimeSpan.FromTicks(long.MaxValue / 100) : now - DateTimeOffset.FromUnixTimeSeconds(unixSeconds);
    }

    /// <summary>time.Time's MarshalJSON text, RFC3339Nano: "2024-05-01T10:00:00.5Z".</summary>
    public string Rfc3339Nano()
    {
        var text = Seconds.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        if (Nanoseconds > 0) text += "." + Nanoseconds.ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0');
        return text + Zone(Seconds.Offset, rfc3339: true);
    }

    /// <summary>How the docker CLI prints Unix seconds in the local time zone: Go's Time.String, or RFC 3339 (history).</summary>
    public static string Local(long unixSeconds, bool rfc3339)
    {
        var utc = DateTimeOffset.FromUnixTimeSeconds(unixSeconds);
        var local = TimeZoneInfo.ConvertTime(utc, TimeZoneInfo.Local);
        if (rfc3339) return local.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + Zone(local.Offset, rfc3339: true);
        // Go prints the zone's abbreviation; .NET has none, so the offset stands in for zones other than UTC (as Go does
        // for zones without an abbreviation).
        var offset = Zone(local.Offset, rfc3339: false);
        return local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " " + offset + " " + (local.Offset == TimeSpan.Zero ? "UTC" : offset);
    }

    private static string Zone(TimeSpan offset, bool rfc3339)
    {
        if (rfc3339 && offset == TimeSpan.Zero) return "Z";
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        var abs = offset.Duration();
        return rfc3339 ? $"{sign}{abs.Hours:D2}:{abs.Minutes:D2}" : $"{sign}{abs.Hours:D2}{abs.Minutes:D2}";
    }

    [GeneratedRegex(@"^(?<base>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.(?<fraction>\d{1,9}))?(?<zone>Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();
}
