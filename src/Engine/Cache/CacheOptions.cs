using Sbuild.Core;

namespace Sbuild.Engine.Cache;

/// <summary>Where an exported build cache lives: an OCI layout directory, or a manifest in a registry.</summary>
public enum CacheBackend { Local, Registry }

/// <summary><c>mode=min</c>: the steps of the image's own layers; <c>mode=max</c>: every step of the build, every stage.</summary>
public enum CacheMode { Min, Max }

/// <summary>A parsed <c>--cache-to</c> or <c>--cache-from</c>: a directory (local) or an image reference (registry).</summary>
/// <param name="CacheMounts"><c>cache-mounts=true</c> (exports only): also export the contents of the build's
/// <c>RUN --mount=type=cache</c> directories.</param>
public sealed record CacheLocation(CacheBackend Backend, string Location, CacheMode Mode = CacheMode.Min, bool CacheMounts = false)
{
    public override string ToString() => Backend == CacheBackend.Local ? Location : $"registry {Location}";
}

/// <summary>buildx's syntax: <c>type=local,dest=DIR[,mode=min|max]</c>, <c>type=registry,ref=REF[,mode=…]</c>; for imports
/// <c>type=local,src=DIR</c>, <c>type=registry,ref=REF</c> or a bare <c>REF</c>.</summary>
public static class CacheOptionsParser
{
    public static CacheLocation ParseExport(string value, string flag) => Parse(value, flag, export: true);

    public static CacheLocation ParseImport(string value, string flag) => Parse(value, flag, export: false);

    private static CacheLocation Parse(string value, string flag, bool export)
    {
        var expected = export
            ? "type=local,dest=DIR[,mode=min|max][,cache-mounts=true] or type=registry,ref=NAME[:TAG][,mode=min|max][,cache-mounts=true]"
            : "type=local,src=DIR, type=registry,ref=NAME[:TAG] or NAME[:TAG]";
        SbuildException Error(string problem) => new(ErrorCode.InvalidOption, $"invalid {flag} \"{value}\": {problem} (expected {expected})");

        if (string.IsNullOrWhiteSpace(value)) throw Error("the value is empty");
        if (!export && !value.Contains('=')) return new CacheLocation(CacheBackend.Registry, Reference(value.Trim(), Error));
        var fields = OptionFields.Parse(value, Error);
        var mode = CacheMode.Min;
        if (fields.Remove("mode", out var modeText))
        {
            if (!export) throw Error("mode= is for --cache-to only");
            mode = modeText switch { "min" => CacheMode.Min, "max" => CacheMode.Max, _ => throw Error($"mode must be min or max, not \"{modeText}\"") };
        }
        var cacheMounts = false;
        if (fields.Remove("cache-mounts", out var mountsText))
        {
            if (!export) throw Error("cache-mounts= is for --cache-to only (an import restores whatever the cache holds)");
            cacheMounts = mountsText switch { "true" => true, "false" => false, _ => throw Error($"cache-mounts must be true or false, not \"{mountsText}\"") };
        }
        var type = fields.Remove("type", out var t) ? t : throw Error("missing type=");
        var pathKey = export ? "dest" : "src";
        var location = type switch
        {
            "local" => fields.Remove(pathKey, out var dir) && dir.Length > 0 ? Path.GetFullPath(dir) : throw Error($"type=local needs {pathKey}=DIR"),
            "registry" => fields.Remove("ref", out var reference) ? Reference(reference, Error) : throw Error("type=registry needs ref=NAME[:TAG]"),
            _ => throw Error($"unsupported type \"{type}\""),
        };
        if (fields.Count > 0) throw Error($"unknown key \"{fields.Keys.First()}\"");
        return new CacheLocation(type == "local" ? CacheBackend.Local : CacheBackend.Registry, location, mode, cacheMounts);
    }

    private static string Reference(string text, Func<string, SbuildException> error) =>
        ImageReference.TryParse(text, out var reference) ? reference.ToString() : throw error($"\"{text}\" is not a valid image reference");
}
