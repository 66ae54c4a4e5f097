using System.Globalization;
using Sbuild.Cli.Templates;
using Sbuild.Engine.Cache;

namespace Sbuild.Cli.Images;

/// <summary>
/// <c>sbuild system df -v</c>: the docker CLI's (20.10) verbose disk usage. In table form a section per kind, each its own
/// aligned table (docker starts a tab writer per section): the images with the bytes of layers other images use too
/// (SHARED SIZE, by chain ID as dockerd's layer store counts references), the empty container and volume tables
/// (sbuild has neither), and the build cache records, oldest use first. Any other <c>--format</c> runs once on the
/// four lists (<c>.Images</c>, <c>.Containers</c>, <c>.Volumes</c>, <c>.BuildCache</c>), as docker does.
/// </summary>
public static class DiskUsageVerbose
{
    private const string ImageTable = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.VirtualSize}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}";
    private const string ContainerTable = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}";
    private const string VolumeTable = "table {{.Name}}\t{{.Links}}\t{{.Size}}";
    private const string BuildCacheTable = "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}";

    private static readonly GoValue ContainerHeaders = FormattedOutput.Headers(
        ("ID", "CONTAINER ID"), ("Image", "IMAGE"), ("Command", "COMMAND"), ("LocalVolumes", "LOCAL VOLUMES"), ("Size", "SIZE"),
        ("RunningFor", "CREATED"), ("Status", "STATUS"), ("Names", "NAMES"));
    private static readonly GoValue VolumeHeaders = FormattedOutput.Headers(("Name", "VOLUME NAME"), ("Links", "LINKS"), ("Size", "SIZE"));
    private static readonly GoValue BuildCacheHeaders = FormattedOutput.Headers(
        ("ID", "CACHE ID"), ("Parent", "PARENT"), ("CacheType", "CACHE TYPE"), ("Size", "SIZE"), ("CreatedSince", "CREATED"),
        ("LastUsedSince", "LAST USED"), ("UsageCount", "USAGE"), ("InUse", "IN USE"), ("Shared", "SHARED"), ("Description", "DESCRIPTION"));

    public static void Write(TextWriter output, string? format, ImageCatalog catalog, LayerSizes sizes, IReadOnlyList<CacheUsage> cache)
    {
        var now = DateTimeOffset.UtcNow;
        var table = string.IsNullOrEmpty(format) || format == FormattedOutput.TableKey;
        var images = ImageRows(catalog, sizes, truncate: table || FormattedOutput.IsTable(format!), now);
        // dockerd's build cache list, oldest use first, ties by ID (the CLI's buildCacheSort).
        var records = cache.OrderBy(r => r.LastUsed).ThenBy(r => r.Id, StringComparer.Ordinal)
            .Select(r => BuildCacheRow(r, truncate: table || FormattedOutput.IsTable(format!), now)).ToList();
        if (!table)
        {
            var source = FormattedOutput.IsTable(format!) ? format![FormattedOutput.TableKey.Length..] : format!;
            var lists = new GoStruct(
            [
                new("Images", new GoList(images)), new("Containers", new GoList([])),
                new("Volumes", new GoList([])), new("BuildCache", new GoList(records)),
            ]);
            output.Write(GoTemplate.Parse(source.Trim(' ').Replace(@"\t", "\t").Replace(@"\n", "\n")).Execute(lists));
            return;
        }
        output.Write("Images space usage:\n\n");
        FormattedOutput.Write(output, ImageTable, images, ImageListRows.Headers);
        output.Write("\nContainers space usage:\n\n");
        FormattedOutput.Write(output, ContainerTable, [], ContainerHeaders);
        output.Write("\nLocal Volumes space usage:\n\n");
        FormattedOutput.Write(output, VolumeTable, [], VolumeHeaders);
        // The CLI sums the records that are not shared: none is in sbuild.
        output.Write($"\nBuild cache usage: {DockerUnits.HumanSize(cache.Sum(r => r.Size))}\n\n");
        FormattedOutput.Write(output, BuildCacheTable, records, BuildCacheHeaders);
    }

    /// <summary>dockerd's image list for disk usage: newest first, each with the bytes of its layers another image uses too.</summary>
    private static List<GoValue> ImageRows(ImageCatalog catalog, LayerSizes sizes, bool truncate, DateTimeOffset now)
    {
        var references = catalog.Images.SelectMany(ChainIds.Of).GroupBy(c => c, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return catalog.Images.OrderByDescending(i => i.Created, Comparer<GoTime>.Create((x, y) => x.CompareTo(y)))
            .ThenBy(i => i.Id.ToString(), StringComparer.Ordinal)
            .Select(image =>
            {
                var chains = ChainIds.Of(image);
                long shared = 0;
                for (var i = 0; i < chains.Count && i < image.LayerBlobs.Count; i++)
                    if (references[chains[i]] > 1) shared += sizes.Of(image.LayerBlobs[i]);
                return ImageListRows.DiskUsageRow(image, shared, truncate, now);
            }).ToList();
    }

    /// <summary>
    /// The CLI's buildCacheContext for one record: every record is a regular, unshared, unused layer of cache; its ID is
    /// cut like docker's stringid.TruncateID in tables.
    /// </summary>
    private static GoValue BuildCacheRow(CacheUsage record, bool truncate, DateTimeOffset now)
    {
        var id = record.Id;
        if (truncate)
        {
            id = id[(id.IndexOf(':') + 1)..];
            if (id.Length > 12) id = id[..12];
        }
        return new GoStruct(
        [
            new("CacheType", GoValue.Of("regular")),
            new("CreatedAt", GoValue.Of(GoTimeText(record.Created))),
            new("CreatedSince", GoValue.Of(DockerUnits.HumanDuration(now - record.Created) + " ago")),
            new("Description", GoValue.Of(record.Description)),
            new("ID", GoValue.Of(id)),
            new("InUse", GoValue.Of("false")),
            new("LastUsedAt", GoValue.Of(GoTimeText(record.LastUsed))),
            new("LastUsedSince", GoValue.Of(DockerUnits.HumanDuration(now - record.LastUsed) + " ago")),
            new("Parent", GoValue.Of("")),
            new("Shared", GoValue.Of("false")),
            new("Size", GoValue.Of(DockerUnits.HumanSize(record.Size, 3))),
            new("UsageCount", GoValue.Of(record.Uses.ToString(CultureInfo.InvariantCulture))),
        ], HtmlEscapedJson: true);
    }

    /// <summary>Go's time.Time.String of a UTC time as the API decodes it: "2024-05-01 10:00:00.5 +0000 UTC".</summary>
    private static string GoTimeText(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        var fraction = utc.ToString("fffffff", CultureInfo.InvariantCulture).TrimEnd('0');
        return utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + (fraction.Length > 0 ? "." + fraction : "") + " +0000 UTC";
    }
}
