using System.CommandLine;
using System.Globalization;
using Sbuild.Cli.Images;
using Sbuild.Cli.Templates;
using Sbuild.Core;
using Sbuild.Core.Metadata;
using Sbuild.Engine.Cache;

namespace Sbuild.Cli;

/// <summary>
/// <c>sbuild system df</c>: docker's disk-usage table. Images count each layer once (by chain ID, as docker's layer
/// store), all reclaimable since nothing runs containers; containers and volumes do not exist in sbuild (0); the
/// build cache is the store's cache records (<c>sbuild du</c>). <c>-v</c> lists each (<see cref="DiskUsageVerbose"/>).
/// </summary>
public static class SystemCommands
{
    public static Command Create(Option<string?> rootOption)
    {
        var format = new Option<string?>("--format") { Description = "Format output with a Go template: 'table' (default), 'table TEMPLATE' or TEMPLATE" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show detailed information on space usage" };
        var df = new Command("df", "Show the store's disk usage") { format, verbose };
        df.SetAction(parse =>
        {
            var store = new ImageStore(StoreLocation.Resolve(parse.GetValue(rootOption)));
            var catalog = ImageCatalog.Load(store);
            var sizes = new LayerSizes(store);
            var layers = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var image in catalog.Images)
            {
                var chains = ChainIds.Of(image);
                for (var i = 0; i < chains.Count && i < image.LayerBlobs.Count; i++) layers.TryAdd(chains[i], sizes.Of(image.LayerBlobs[i]));
            }
            var imageBytes = layers.Values.Sum();
            IReadOnlyList<CacheUsage> cache;
            using (var database = StoreDatabase.Open(store.Root))
            using (var buildCache = new BuildCache(store, database))
                cache = buildCache.Usage();
            if (parse.GetValue(verbose))
            {
                DiskUsageVerbose.Write(Console.Out, parse.GetValue(format), catalog, sizes, cache);
                return 0;
            }
            var cacheBytes = cache.Sum(r => r.Size);
            var rows = new[]
            {
                Row("Images", catalog.Images.Count, DockerUnits.HumanSize(imageBytes), imageBytes > 0 ? $"{DockerUnits.HumanSize(imageBytes)} (100%)" : DockerUnits.HumanSize(0)),
                Row("Containers", 0, "0B", "0B"),
                Row("Local Volumes", 0, "0B", "0B"),
                Row("Build Cache", cache.Count, DockerUnits.HumanSize(cacheBytes), DockerUnits.HumanSize(cacheBytes)),
            };
            var template = parse.GetValue(format) is { Length: > 0 } f && f != FormattedOutput.TableKey ? f
                : "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}";
            FormattedOutput.Write(Console.Out, template, rows, FormattedOutput.Headers(
                ("Type", "TYPE"), ("TotalCount", "TOTAL"), ("Active", "ACTIVE"), ("Size", "SIZE"), ("Reclaimable", "RECLAIMABLE")));
            return 0;
        });
        var command = new Command("system", "Manage the store") { df };
        return command;
    }

    /// <summary>docker's diskUsage contexts: every value a string (nothing is active: sbuild runs no containers).</summary>
    private static GoValue Row(string type, int total, string size, string reclaimable) => new GoStruct(
    [
        new("Active", GoValue.Of("0")),
        new("Reclaimable", GoValue.Of(reclaimable)),
        new("Size", GoValue.Of(size)),
        new("TotalCount", GoValue.Of(total.ToString(CultureInfo.InvariantCulture))),
        new("Type", GoValue.Of(type)),
    ], HtmlEscapedJson: true);
}
