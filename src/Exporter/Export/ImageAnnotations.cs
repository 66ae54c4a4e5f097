using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>
/// Annotation keys as BuildKit's image exporters take them (<c>annotation.KEY</c>, <c>annotation-manifest.KEY</c>,
/// <c>annotation-index.KEY</c>) and as buildx's <c>--annotation</c> spells them (<c>KEY=VALUE</c>,
/// <c>manifest:KEY=VALUE</c>, <c>index:KEY=VALUE</c>). sbuild builds one platform, so only the manifest can carry them:
/// index annotations are refused, as BuildKit refuses them for a single-platform export.
/// </summary>
public static class ImageAnnotations
{
    /// <summary>The annotation key of an exporter option key, or null when <paramref name="optionKey"/> is no annotation option.</summary>
    internal static string? ManifestKeyOf(string optionKey, Func<string, SbuildException> error)
    {
        var dot = optionKey.IndexOf('.');
        if (dot < 0 || !optionKey.StartsWith("annotation", StringComparison.Ordinal)) return null;
        var kind = optionKey[..dot];
        var key = optionKey[(dot + 1)..];
        if (key.Length == 0) throw error($"\"{optionKey}\" names no annotation key");
        return kind switch
        {
            "annotation" or "annotation-manifest" => key,
            "annotation-index" or "annotation-index-descriptor" => throw error(SinglePlatform),
            "annotation-manifest-descriptor" => throw error("manifest descriptor annotations are not supported"),
            _ => throw error($"unknown key \"{optionKey}\""),
        };
    }

    /// <summary>
    /// Parses <c>--annotation</c> values into manifest annotations; errors name <paramref name="flag"/>.
    /// </summary>
    public static SortedDictionary<string, string> ParseFlag(IEnumerable<string> values, string flag)
    {
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            SbuildException Error(string problem) =>
                new(ErrorCode.InvalidOption, $"invalid {flag} \"{value}\": {problem} (expected KEY=VALUE, manifest:KEY=VALUE or index:KEY=VALUE)");
            var eq = value.IndexOf('=');
            if (eq <= 0) throw Error("not KEY=VALUE");
            var key = value[..eq];
            var colon = key.IndexOf(':');
            if (colon >= 0)
            {
                var type = key[..colon];
                key = key[(colon + 1)..];
                switch (type)
                {
                    case "manifest": break;
                    case "index" or "index-descriptor": throw Error(SinglePlatform);
                    case "manifest-descriptor": throw Error("manifest descriptor annotations are not supported");
                    default: throw Error($"unknown annotation type \"{type}\"");
                }
            }
            if (key.Length == 0) throw Error("the annotation key is empty");
            annotations[key] = value[(eq + 1)..];
        }
        return annotations;
    }

    private const string SinglePlatform = "index annotations are not supported for a single-platform image (as in BuildKit); use manifest annotations";
}
