using Sbuild.Core;
using Sbuild.Parser.Ignore;

namespace Sbuild.Cli.Images;

/// <summary>
/// <c>--filter KEY=VALUE</c> values grouped by key, as docker's filters.Args: a key given twice matches either value
/// (reference, before, since) or must match every value (label). Keys are lower-cased and both sides trimmed.
/// </summary>
public sealed class FilterArgs
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public static FilterArgs Parse(IEnumerable<string> flags, string flag = "--filter")
    {
        var args = new FilterArgs();
        foreach (var text in flags)
        {
            var eq = text.IndexOf('=');
            if (eq < 0) throw new SbuildException(ErrorCode.InvalidOption, $"{flag} \"{text}\": bad format of filter (expected name=value)");
            args.Add(text[..eq].Trim().ToLowerInvariant(), text[(eq + 1)..].Trim());
        }
        return args;
    }

    public void Add(string key, string value)
    {
        if (!_values.TryGetValue(key, out var list)) _values[key] = list = [];
        if (!list.Contains(value)) list.Add(value);
    }

    public bool Contains(string key) => _values.ContainsKey(key);
    public IReadOnlyList<string> Get(string key) => _values.TryGetValue(key, out var list) ? list : [];

    /// <summary>docker's Validate: an unknown key is "Invalid filter 'KEY'".</summary>
    public void Validate(IReadOnlySet<string> accepted, string flag = "--filter")
    {
        foreach (var key in _values.Keys)
            if (!accepted.Contains(key)) throw new SbuildException(ErrorCode.InvalidOption, $"{flag}: Invalid filter '{key}'");
    }

    /// <summary>
    /// MatchKVList: every <c>label=K</c> names a label the image has and every <c>label=K=V</c> one with that value;
    /// an image without labels matches no label filter.
    /// </summary>
    public bool MatchLabels(string key, IReadOnlyDictionary<string, string>? labels)
    {
        if (!Contains(key)) return true;
        if (labels is null || labels.Count == 0) return false;
        foreach (var filter in Get(key))
        {
            var parts = filter.Split('=', 2);
            if (!labels.TryGetValue(parts[0], out var value)) return false;
            if (parts.Length == 2 && value != parts[1]) return false;
        }
        return true;
    }
}

/// <summary>
/// docker images' selection (moby 20.10's daemon/images/images.go): <c>dangling</c>, <c>label</c>, <c>before</c>,
/// <c>since</c>, <c>reference</c> (a path.Match pattern on the familiar name with and without the tag), then the
/// images newest first. sbuild keeps no intermediate images, so every image is a "head" and <c>-a</c> lists the same.
/// </summary>
public static class ImageSelection
{
    private static readonly HashSet<string> Accepted = new(StringComparer.Ordinal) { "dangling", "label", "before", "since", "reference" };

    /// <summary>The images with the names the filters let through (a reference filter hides the other names).</summary>
    public static IReadOnlyList<LocalImage> Select(ImageCatalog catalog, FilterArgs filters)
    {
        filters.Validate(Accepted);
        var danglingOnly = false;
        if (filters.Contains("dangling"))
        {
            var values = filters.Get("dangling");
            if (values.Contains("true")) danglingOnly = true;
            else if (!values.Contains("false"))
                throw new SbuildException(ErrorCode.InvalidOption, $"--filter: Invalid filter 'dangling=[{string.Join(' ', values)}]'");
        }
        // docker walks every value; the last one given decides.
        GoTime? before = filters.Contains("before") ? catalog.Get(filters.Get("before")[^1]).Created : null;
        GoTime? since = filters.Contains("since") ? catalog.Get(filters.Get("since")[^1]).Created : null;
        var patterns = filters.Get("reference");

        var selected = new List<LocalImage>();
        foreach (var image in catalog.Images)
        {
            if (before is { } upper && image.Created.CompareTo(upper) >= 0) continue;
            if (since is { } lower && image.Created.CompareTo(lower) <= 0) continue;
            if (!filters.MatchLabels("label", image.Labels)) continue;
            var tags = image.RepoTags.Where(n => Matches(patterns, n)).ToList();
            var digests = image.RepoDigests.Where(n => Matches(patterns, n)).ToList();
            if (tags.Count == 0 && digests.Count == 0)
            {
                if (filters.Contains("dangling") && !danglingOnly) continue;
                if (filters.Contains("reference")) continue;
            }
            else if (danglingOnly && tags.Count > 0) continue;
            selected.Add(image with { RepoTags = tags, RepoDigests = digests });
        }
        return selected.OrderByDescending(i => i.Created, Comparer<GoTime>.Create((x, y) => x.CompareTo(y)))
            .ThenBy(i => i.Id.ToString(), StringComparer.Ordinal).ToList();
    }

    private static bool Matches(IReadOnlyList<string> patterns, string name)
    {
        if (patterns.Count == 0) return true;
        var reference = ImageReference.Parse(name);
        return patterns.Any(p => ReferenceMatches(p, name) || ReferenceMatches(p, reference.Repository));
    }

    /// <summary>Go's path.Match, as docker's <c>reference=</c> filter applies it; a malformed pattern matches nothing.</summary>
    public static bool ReferenceMatches(string pattern, string name) => GoGlob.TryMatch(pattern, name, out var matched) && matched;
}
