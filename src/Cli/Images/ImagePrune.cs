using System.Globalization;
using Sbuild.Core;

namespace Sbuild.Cli.Images;

/// <summary>
/// <c>sbuild image prune</c>: dockerd 20.10's ImagesPrune. Dangling images go (with <c>-a</c> every image: sbuild has
/// no containers that could be using one), each through <see cref="ImageRemoval"/> name by name, as docker deletes
/// them; <c>until=</c> keeps images created after the cut-off, <c>label=</c> / <c>label!=</c> select by label.
/// </summary>
public static class ImagePrune
{
    private static readonly HashSet<string> Accepted = new(StringComparer.Ordinal) { "dangling", "label", "label!", "until" };

    public static IReadOnlyList<RemovalRecord> Run(ImageStore store, ImageRemoval removal, FilterArgs filters, bool all, DateTimeOffset now)
    {
        filters.Add("dangling", all ? "false" : "true");
        filters.Validate(Accepted);
        var danglingOnly = !filters.Get("dangling").Any(v => v is "false" or "0");
        GoTime? until = filters.Contains("until") ? Until(filters.Get("until")[^1], now) : null;
        var records = new List<RemovalRecord>();
        var candidates = ImageCatalog.Load(store).Images.OrderByDescending(i => i.Created, Comparer<GoTime>.Create((x, y) => x.CompareTo(y)));
        foreach (var image in candidates)
        {
            if (until is { } cutOff && image.Created.CompareTo(cutOff) > 0) continue;
            if (!filters.MatchLabels("label", image.Labels)) continue;
            if (filters.Contains("label!") && filters.MatchLabels("label!", image.Labels)) continue;
            var names = image.Entries.Select(e => e.Name).OfType<string>().ToList();
            if (names.Count == 0)
            {
                records.AddRange(removal.Remove(image.Id.Encoded, force: false));
                continue;
            }
            if (danglingOnly && names.Any(n => !n.Contains('@'))) continue;
            foreach (var name in names) records.AddRange(removal.Remove(name, force: false));
        }
        return records;
    }

    /// <summary>docker's GetTimestamp: a Go duration before now (24h, 90m), Unix seconds, or an RFC 3339 time.</summary>
    private static GoTime Until(string value, DateTimeOffset now)
    {
        if (CacheCommands.GoDuration.Parse(value) is { } duration) return new GoTime(now - duration, 0);
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)) return new GoTime(DateTimeOffset.FromUnixTimeSeconds(seconds), 0);
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)) return new GoTime(time, 0);
        throw new SbuildException(ErrorCode.InvalidOption, $"--filter \"until={value}\": expected a duration (24h, 90m), Unix seconds or an RFC 3339 time");
    }
}
