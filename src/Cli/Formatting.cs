namespace Sbuild.Cli;

public static class HumanSize
{
    /// <summary>Decimal units like docker images: "4.26MB", "512B".</summary>
    public static string Format(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1000 && unit < units.Length - 1) { value /= 1000; unit++; }
        return unit == 0 ? $"{bytes}B" : $"{value:0.##}{units[unit]}";
    }
}

public static class HumanTime
{
    public static string Ago(DateTimeOffset? when, DateTimeOffset now)
    {
        if (when is not { } t) return "N/A";
        var span = now - t;
        if (span.TotalSeconds < 1) return "Less than a second ago";
        if (span.TotalMinutes < 1) return $"{(int)span.TotalSeconds} seconds ago";
        if (span.TotalHours < 1) return Plural((int)span.TotalMinutes, "minute");
        if (span.TotalDays < 2) return Plural((int)span.TotalHours, "hour");
        if (span.TotalDays < 14) return Plural((int)span.TotalDays, "day");
        if (span.TotalDays < 60) return Plural((int)(span.TotalDays / 7), "week");
        if (span.TotalDays < 730) return Plural((int)(span.TotalDays / 30), "month");
        return Plural((int)(span.TotalDays / 365), "year");
    }

    private static string Plural(int n, string unit) => n == 1 ? $"{(unit == "hour" ? "An" : "A")} {unit} ago" : $"{n} {unit}s ago";
}

/// <summary>Left-aligned columns separated by three spaces, as docker's tables.</summary>
public static class TableWriter
{
    public static void Write(TextWriter output, IReadOnlyList<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
            output.WriteLine(string.Join("   ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
    }
}
