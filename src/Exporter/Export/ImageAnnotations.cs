using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>
/// Annotation keys as BuildKit's image exporters take them (<c>annotation.KEY</c>, <c>annotation-manifest.KEY</c>,
/// <c>annotation-index.KEY</c>) and as buildx's <c>--annotation</c> spells them (<c>KEY=VALUE</c>,
/// <c>manifest:KEY=VALUE</c>, <c>index:KEY=VALUE</c>). The manifest carries the first two; the image index of a
/// multi-platform build the index ones, which are refused for a single-platform build, as BuildKit refuses them.
/// </summary>
public static class ImageAnnotations
{
    /// <summary>
    /// The annotation key of an exporter option key and whether it is the index's, or null when
    /// <paramref name="optionKey"/> is no annotation option.
    /// </summary>
    internal static (string Key, bool Index)? KeyOf(string optionKey, bool multiPlatform, Func<string, SbuildException> error)
    {
        var dot = optionKey.IndexOf('.');
        if (dot < 0 || !optionKey.StartsWith("annotation", StringComparison.Ordinal)) return null;
        var kind = optionKey[..dot];
        var key = optionKey[(dot + 1)..];
        if (key.Length == 0) throw error($"\"{optionKey}\" names no annotation key");
        return kind switch
        {
            "annotation" or "annotation-manifest" => (key, false),
            "annotation-index" => multiPlatform ? (key, true) : throw error(SinglePlatform),
            "annotation-index-descriptor" or "annotation-manifest-descriptor" => throw error(DescriptorsUnsupported),
            _ => throw error($"unknown key \"{optionKey}\""),
        };
    }

    /// <summary>
    /// Parses <c>--annotation</c> values into manifest and index annotations (the latter only for a build of several
    /// platforms, <paramref name="multiPlatform"/>); errors name <paramref name="flag"/>.
    /// </summary>
    public static (SortedDictionary<string, string> Manifest, SortedDictionary<string, string> Index) ParseFlag(
        IEnumerable<string> values, string flag, bool multiPlatform = false)
    {
        var manifest = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var index = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            SbuildException Error(string problem) =>
                new(ErrorCode.InvalidOption, $"invalid {flag} \"{value}\": {problem} (expected KEY=VALUE, manifest:KEY=VALUE or index:KEY=VALUE)");
            var eq = value.IndexOf('=');
            if (eq <= 0) throw Error("not KEY=VALUE");
            var key = value[..eq];
            var annotations = manifest;
            var colon = key.IndexOf(':');
            if (colon >= 0)
            {
                var type = key[..colon];
                key = key[(colon + 1)..];
                switch (type)
                {
                    case "manifest": break;
                    case "index": annotations = multiPlatform ? index : throw Error(SinglePlatform); break;
                    case "index-descriptor" or "manifest-descriptor": throw Error(DescriptorsUnsupported);
                    default: throw Error($"unknown annotation type \"{type}\"");
                }
            }
            if (key.Length == 0) throw Error("the annotation key is empty");
            annotations[key] = value[(eq + 1)..];
        }
        return (manifest, index);
    }

    private const string SinglePlatform = "index annotations are not supported for a single-platform image (as in BuildKit); use manifest annotations";
    private const string DescriptorsUnsupported = "descriptor annotations (index-descriptor, manifest-descriptor) are not supported";
}
