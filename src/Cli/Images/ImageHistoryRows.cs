using System.Text.Json;
using Sbuild.Cli.Templates;

namespace Sbuild.Cli.Images;

/// <summary>
/// The rows of <c>sbuild history</c>: dockerd's ImageHistory (the config's history newest first, a layer's size for
/// each entry that made one, the image ID on the newest row and <c>&lt;missing&gt;</c> below it: sbuild has no parent
/// images) formatted as the docker CLI's historyContext.
/// </summary>
public static class ImageHistoryRows
{
    public const string DefaultTable = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
    public const string NonHumanTable = "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";

    public static GoValue Headers { get; } = FormattedOutput.Headers(
        ("ID", "IMAGE"), ("CreatedSince", "CREATED"), ("CreatedAt", "CREATED AT"), ("CreatedBy", "CREATED BY"), ("Size", "SIZE"), ("Comment", "COMMENT"));

    public static string Format(string? format, bool quiet, bool human)
    {
        if (!string.IsNullOrEmpty(format) && format != FormattedOutput.TableKey) return format;
        return quiet ? ImageListRows.QuietFormat : human ? DefaultTable : NonHumanTable;
    }

    public static IEnumerable<GoValue> Rows(LocalImage image, LayerSizes sizes, bool truncate, bool human, DateTimeOffset now)
    {
        var entries = new List<(long Created, string CreatedBy, string Comment, long Size)>();
        var layer = 0;
        if (image.Config.TryGetProperty("history", out var history) && history.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in history.EnumerateArray())
            {
                long size = 0;
                if (!(item.TryGetProperty("empty_layer", out var empty) && empty.ValueKind == JsonValueKind.True))
                {
                    if (layer >= image.LayerBlobs.Count)
                        throw new Sbuild.Core.SbuildException(Sbuild.Core.ErrorCode.StoreCorrupt, $"image {image.Id}: too many non-empty layers in History section");
                    size = sizes.Of(image.LayerBlobs[layer++]);
                }
                entries.Add((GoTime.Parse(Text(item, "created")).Unix, Text(item, "created_by") ?? "", Text(item, "comment") ?? "", size));
            }
        }
        entries.Reverse();
        for (var i = 0; i < entries.Count; i++)
        {
            var (created, createdBy, comment, size) = entries[i];
            var id = i == 0 ? (truncate ? image.Id.Short : image.Id.ToString()) : "<missing>";
            createdBy = createdBy.Replace('\t', ' ');
            yield return new GoStruct(
            [
                new("Comment", GoValue.Of(comment)),
                new("CreatedAt", GoValue.Of(GoTime.Local(created, rfc3339: true))),
                new("CreatedBy", GoValue.Of(truncate ? Ellipsis(createdBy, 45) : createdBy)),
                new("CreatedSince", GoValue.Of(!human ? GoTime.Local(created, rfc3339: true)
                    : DockerUnits.HumanDuration(GoTime.Since(now, created)) + " ago")),
                new("ID", GoValue.Of(id)),
                new("Size", GoValue.Of(human ? DockerUnits.HumanSize(size, 3) : size.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            ], HtmlEscapedJson: true);
        }
    }

    /// <summary>docker's formatter.Ellipsis: at most <paramref name="width"/> characters, the last one "…" when cut.</summary>
    public static string Ellipsis(string text, int width)
    {
        var runes = text.EnumerateRunes().ToList();
        return runes.Count <= width ? text : string.Concat(runes.Take(width - 1).Select(r => r.ToString())) + "…";
    }

    private static string? Text(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
