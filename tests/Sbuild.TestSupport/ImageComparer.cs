using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sbuild.TestSupport;

/// <summary>How to compare two images.</summary>
public sealed record ImageCompareOptions
{
    public string ExpectedName { get; init; } = "buildkit";
    public string ActualName { get; init; } = "sbuild";
    /// <inheritdoc cref="RootfsCompareOptions.CompareMtimesOlderThan"/>
    public UnixTime? CompareMtimesOlderThan { get; init; }
}

/// <summary>
/// The full comparison of two images: the number of layers, the whole config JSON and the unpacked root file systems,
/// each difference as one readable line. Left out, because two builds cannot agree on them: the <c>created</c> times
/// (of the image and of each history entry) and the layer digests (<c>rootfs.diff_ids</c>, which hash the files'
/// mtimes; their number is compared). Everything else of the config counts, fields a builder adds or leaves out
/// included: <c>config</c>, <c>author</c>, <c>architecture</c>, <c>os</c>, <c>variant</c>, and every history entry's
/// <c>created_by</c>, <c>comment</c>, <c>empty_layer</c> and <c>author</c>.
/// </summary>
public static class ImageComparer
{
    public static IReadOnlyList<string> Compare(OciImage expected, OciImage actual, ImageCompareOptions? options = null)
    {
        options ??= new ImageCompareOptions();
        var differences = new List<string>();
        if (expected.Manifest.Layers.Count != actual.Manifest.Layers.Count)
            differences.Add($"layers: {expected.Manifest.Layers.Count} ({options.ExpectedName}) vs {actual.Manifest.Layers.Count} ({options.ActualName})");
        differences.AddRange(CompareConfigs(expected.ConfigJson, actual.ConfigJson, options.ExpectedName, options.ActualName));
        differences.AddRange(RootfsComparer.Compare(expected.RootfsDir, actual.RootfsDir, new RootfsCompareOptions
        {
            ExpectedName = options.ExpectedName,
            ActualName = options.ActualName,
            CompareMtimesOlderThan = options.CompareMtimesOlderThan,
        }));
        return differences;
    }

    /// <summary>The config comparison alone (see the class summary for what is left out), on the JSON as written.</summary>
    public static IReadOnlyList<string> CompareConfigs(string expectedJson, string actualJson, string expectedName = "buildkit", string actualName = "sbuild")
    {
        var differences = new List<string>();
        Diff("", Comparable(expectedJson), Comparable(actualJson), differences, expectedName, actualName);
        return differences;
    }

    /// <summary>The config without what the comparison leaves out; the layer digests become their count.</summary>
    private static JsonNode Comparable(string json)
    {
        var config = JsonNode.Parse(json)?.AsObject() ?? throw new InvalidDataException("the image config is JSON null");
        config.Remove("created");
        if (config["history"] is JsonArray history)
            foreach (var entry in history.OfType<JsonObject>()) entry.Remove("created");
        if (config["rootfs"] is JsonObject rootfs && rootfs["diff_ids"] is JsonArray diffIds)
        {
            rootfs.Remove("diff_ids");
            rootfs["diff_ids count"] = diffIds.Count;
        }
        return config;
    }

    /// <summary>
    /// Objects are compared key by key and arrays of objects (history) item by item, so a difference is reported at the
    /// deepest path where it shows; other values are shown whole. An absent key and a JSON null differ.
    /// </summary>
    private static void Diff(string path, JsonNode? e, JsonNode? a, List<string> differences, string expectedName, string actualName)
    {
        if (JsonNode.DeepEquals(e, a)) return;
        switch (e, a)
        {
            case (JsonObject eo, JsonObject ao):
                foreach (var key in eo.Select(p => p.Key).Union(ao.Select(p => p.Key)).Order(StringComparer.Ordinal))
                {
                    var child = path.Length == 0 ? key : $"{path}.{key}";
                    if (!ao.ContainsKey(key)) differences.Add($"{child}: {Show(eo[key])} ({expectedName}) vs (absent) ({actualName})");
                    else if (!eo.ContainsKey(key)) differences.Add($"{child}: (absent) ({expectedName}) vs {Show(ao[key])} ({actualName})");
                    else Diff(child, eo[key], ao[key], differences, expectedName, actualName);
                }
                break;
            case (JsonArray ea, JsonArray aa) when ea.Concat(aa).All(n => n is JsonObject):
                if (ea.Count != aa.Count) differences.Add($"{path}: {ea.Count} entries ({expectedName}) vs {aa.Count} ({actualName})");
                for (var i = 0; i < Math.Min(ea.Count, aa.Count); i++)
                    Diff($"{path}[{i}]", ea[i], aa[i], differences, expectedName, actualName);
                break;
            default:
                differences.Add($"{path}: {Show(e)} ({expectedName}) vs {Show(a)} ({actualName})");
                break;
        }
    }

    private static string Show(JsonNode? node) =>
        node?.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) ?? "null";
}
