using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sbuild.Engine.Cache;
using Sbuild.Core;
using Sbuild.Core.Metadata;
using Sbuild.Cli.Images;
using Sbuild.Cli.Templates;

namespace Sbuild.Cli;

/// <summary><c>sbuild du</c>, <c>sbuild prune</c> (docker buildx's flags and output) and the GC that follows a build.</summary>
public static partial class CacheCommands
{
    public static Command DiskUsage(Option<string?> rootOption)
    {
        var verbose = new Option<bool>("--verbose") { Description = "Print every record's details" };
        var command = new Command("du", "Show the build cache's disk usage") { verbose };
        command.SetAction(parse =>
        {
            var (store, database, cache) = Open(parse.GetValue(rootOption));
            using (database)
            using (cache)
            {
                var usage = cache.Usage();
                var now = DateTimeOffset.UtcNow;
                var text = new StringBuilder();
                if (parse.GetValue(verbose))
                    foreach (var record in usage)
                    {
                        // buildx's printVerbose: "Key:\tvalue" lines aligned per record by its tab writer.
                        var created = GoTime.Local(record.Created.ToUnixTimeSeconds(), rfc3339: false);
                        text.Append($"ID:\t{record.Id}\nCreated at:\t{created}\nMutable:\tfalse\nReclaimable:\ttrue\nShared:\tfalse\n");
                        text.Append($"Size:\t{DockerUnits.HumanSize(record.Size)}\nDescription:\t{record.Description}\n");
                        text.Append($"Last used:\t{Ago(record.LastUsed, now)}\nType:\tregular\n\n");
                    }
                else if (usage.Count > 0)
                {
                    text.Append(RecordsHeader);
                    foreach (var record in usage) text.Append(RecordRow(record, now));
                }
                Console.Out.Write(GoTabWriter.FormatWithTabs(text.ToString()));
                // buildx flushes its tab writer before the summary, so the summary's columns are aligned on their own.
                var total = usage.Sum(r => r.Size);
                Console.Out.Write(GoTabWriter.FormatWithTabs($"Reclaimable:\t{DockerUnits.HumanSize(total)}\nTotal:\t{DockerUnits.HumanSize(total)}\n"));
            }
            return 0;
        });
        return command;
    }

    public static Command Prune(Option<string?> rootOption)
    {
        var all = new Option<bool>("--all", "-a") { Description = "Also remove base images' unpacked layers (unpacked again when needed) and RUN --mount=type=cache contents" };
        var keepStorage = new Option<string?>("--keep-storage") { Description = "Keep at most this much cache, least recently used goes first (e.g. 5GB)" };
        var filters = new Option<string[]>("--filter") { Description = "Only records matching, e.g. until=24h (not used for 24 hours)" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not ask for confirmation" };
        var command = new Command("prune", "Remove build cache") { all, keepStorage, filters, force };
        command.SetAction(parse =>
        {
            var filter = new PruneFilter(parse.GetValue(all),
                parse.GetValue(keepStorage) is { } keep ? ByteSize.TryParse(keep, out var bytes) ? bytes
                    : throw new SbuildException(ErrorCode.InvalidOption, $"--keep-storage \"{keep}\": expected a size such as 5GB or 512MB") : null,
                ParseFilters(parse.GetValue(filters) ?? []));
            if (!parse.GetValue(force) && !Console.IsInputRedirected)
            {
                Console.Error.Write("WARNING! This will remove build cache. Are you sure you want to continue? [y/N] ");
                if (Console.ReadLine()?.Trim().ToLowerInvariant() is not ("y" or "yes")) return 0;
            }
            var (store, database, cache) = Open(parse.GetValue(rootOption));
            StoreHold.Recover(store.Root);
            using (database)
            using (cache)
            using (StoreLock.Exclusive(store.Root, TimeSpan.FromMinutes(30)))
            {
                var report = cache.Prune(filter, DateTimeOffset.UtcNow);
                // buildx prints each removed record as it comes, flushing its tab writer after each row (so each row is
                // aligned on its own, the first with the header), then the total with a new writer.
                var now = DateTimeOffset.UtcNow;
                for (var i = 0; i < report.Removed.Count; i++)
                    Console.Out.Write(GoTabWriter.FormatWithTabs((i == 0 ? RecordsHeader : "") + RecordRow(report.Removed[i], now)));
                Console.Out.Write(GoTabWriter.FormatWithTabs($"Total:\t{DockerUnits.HumanSize(report.Reclaimed)}\n"));
            }
            return 0;
        });
        return command;
    }

    /// <summary>After a build: collect the cache when it is over the configured budget and no other command uses the store.</summary>
    public static void CollectAfterBuild(ImageStore store, Action<string> note)
    {
        var policy = GcSettings.Load();
        if (!policy.Enabled) return;
        using var exclusive = StoreLock.TryExclusive(store.Root);
        if (exclusive is null) return; // another command is using the store; a later build collects
        using var database = StoreDatabase.Open(store.Root);
        using var cache = new BuildCache(store, database);
        var report = cache.Collect(policy);
        if (report is not null)
            note($"cache GC: removed {report.Removed.Count} records, {report.Snapshots} snapshots and {report.Blobs} blobs; freed {DockerUnits.HumanSize(report.Reclaimed)}");
    }

    private static (ImageStore, StoreDatabase, BuildCache) Open(string? rootOption)
    {
        var store = new ImageStore(StoreLocation.Resolve(rootOption));
        var database = StoreDatabase.Open(store.Root);
        return (store, database, new BuildCache(store, database));
    }

    private const string RecordsHeader = "ID\tRECLAIMABLE\tSIZE\tLAST ACCESSED\n";

    /// <summary>buildx's printTableRow, with the same fixed widths before its tab writer aligns the cells.</summary>
    private static string RecordRow(CacheUsage record, DateTimeOffset now) =>
        $"{(Digest.TryParse(record.Id, out var key) ? key.Encoded[..25] : record.Id),-40}\t{"true",-5}\t{DockerUnits.HumanSize(record.Size),-10}\t{Ago(record.LastUsed, now)}\n";

    private static string Ago(DateTimeOffset when, DateTimeOffset now) => DockerUnits.HumanDuration(now - when) + " ago";

    private static TimeSpan? ParseFilters(IReadOnlyList<string> filters)
    {
        TimeSpan? until = null;
        foreach (var filter in filters)
        {
            var parts = filter.Split('=', 2);
            if (parts is not ["until", var value] || GoDuration.Parse(value) is not { } duration)
                throw new SbuildException(ErrorCode.InvalidOption, $"--filter \"{filter}\": supported is until=DURATION (e.g. until=24h, until=90m)");
            until = duration;
        }
        return until;
    }

    /// <summary>Go's duration syntax, as docker's until= filters take it: 24h, 1h30m, 45s, 500ms.</summary>
    internal static partial class GoDuration
    {
        public static TimeSpan? Parse(string text)
        {
            var match = Pattern().Match(text.Trim());
            if (!match.Success || text.Trim().Length == 0) return null;
            var total = TimeSpan.Zero;
            foreach (Capture part in match.Groups["part"].Captures)
            {
                var unit = UnitPattern().Match(part.Value);
                var number = double.Parse(unit.Groups[1].Value, CultureInfo.InvariantCulture);
                total += unit.Groups[2].Value switch
                {
                    "h" => TimeSpan.FromHours(number),
                    "m" => TimeSpan.FromMinutes(number),
                    "s" => TimeSpan.FromSeconds(number),
                    "ms" => TimeSpan.FromMilliseconds(number),
                    _ => TimeSpan.Zero,
                };
            }
            return total;
        }

        [GeneratedRegex(@"^(?<part>\d+(\.\d+)?(h|ms|m|s))+$")]
        private static partial Regex Pattern();

        [GeneratedRegex(@"^(\d+(?:\.\d+)?)(h|ms|m|s)$")]
        private static partial Regex UnitPattern();
    }

    /// <summary>
    /// The GC budget from the config file's <c>builder.gc</c> (docker daemon.json's keys: <c>enabled</c>,
    /// <c>defaultReservedSpace</c>, <c>defaultMaxUsedSpace</c>, <c>defaultMinFreeSpace</c>; sizes or percentages).
    /// </summary>
    private static class GcSettings
    {
        public static GcPolicy Load()
        {
            var path = ConfigFiles.Find();
            if (path is null) return GcPolicy.Default;
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllBytes(path));
                if (!document.RootElement.TryGetProperty("builder", out var builder) || !builder.TryGetProperty("gc", out var gc))
                    return GcPolicy.Default;
                var policy = GcPolicy.Default;
                if (gc.TryGetProperty("enabled", out var enabled)) policy = policy with { Enabled = enabled.GetBoolean() };
                if (Limit(gc, "defaultReservedSpace", path) is { } reserved) policy = policy with { ReservedSpace = reserved };
                if (Limit(gc, "defaultMaxUsedSpace", path) is { } maxUsed) policy = policy with { MaxUsedSpace = maxUsed };
                if (Limit(gc, "defaultMinFreeSpace", path) is { } minFree) policy = policy with { MinFreeSpace = minFree };
                return policy;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                throw new SbuildException(ErrorCode.InvalidOption, $"{path}: builder.gc: {e.Message}");
            }
        }

        private static SpaceLimit? Limit(JsonElement gc, string name, string path) =>
            gc.TryGetProperty(name, out var value) ? SpaceLimit.Parse(value.ToString(), $"{path}: builder.gc.{name}") : null;
    }
}
