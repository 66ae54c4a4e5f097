using System.Globalization;
using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>
/// Parses BuildKit-style exporter specs: comma-separated <c>key=value</c> fields, a field may be double-quoted to hold
/// commas (<c>"name=a:1,b:2"</c>). The keys are those of buildx's <c>-o</c> for the types sbuild has; any other key,
/// or a key that does not belong to the type, is an error naming the flag.
/// </summary>
internal static class ExportOptionsParser
{
    private const string Supported =
        "type=image[,name=NAME][,push=true], type=oci|docker,dest=FILE|-, type=registry[,name=NAME], type=local,dest=DIR " +
        "or type=tar,dest=FILE|-; image outputs also take compression=gzip|zstd|uncompressed, compression-level=N, " +
        "force-compression=true, oci-mediatypes=true|false, rewrite-timestamp=true, annotation.KEY=VALUE";

    public static ExportOptions Parse(string value, string flag, bool multiPlatform)
    {
        SbuildException Error(string problem) =>
            new(ErrorCode.InvalidOption, $"invalid {flag} \"{value}\": {problem} (expected {Supported})");

        if (string.IsNullOrWhiteSpace(value)) throw Error("the value is empty");
        var split = OptionFields.Split(value, Error);
        // buildx's shorthand: a bare path is type=local,dest=PATH and - is type=tar,dest=-.
        if (split.Count == 1 && !split[0].Contains('='))
            split = split[0].Trim() == ExportOptions.StandardOutput ? ["type=tar", "dest=-"] : ["type=local", "dest=" + split[0]];
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in split)
        {
            var eq = field.IndexOf('=');
            if (eq < 0) throw Error($"\"{field}\" is not key=value");
            var key = field[..eq].Trim().ToLowerInvariant();
            if (!fields.TryAdd(key, field[(eq + 1)..].Trim())) throw Error($"\"{key}\" is given more than once");
        }

        if (!fields.Remove("type", out var typeText) || typeText.Length == 0) throw Error("missing type=");
        var type = typeText.ToLowerInvariant() switch
        {
            "image" => ExportType.Image,
            "oci" => ExportType.Oci,
            "docker" => ExportType.Docker,
            "registry" => ExportType.Registry,
            "local" => ExportType.Local,
            "tar" => ExportType.Tar,
            _ => throw Error($"unsupported type \"{typeText}\""),
        };
        var isImage = type is ExportType.Image or ExportType.Oci or ExportType.Docker or ExportType.Registry;

        var hasDest = fields.Remove("dest", out var dest) && dest.Length > 0;
        if (type is ExportType.Registry or ExportType.Image && hasDest)
            throw Error($"type={typeText} takes no dest= (the image goes to the store or the registry its name points at)");
        if (type is ExportType.Oci or ExportType.Docker or ExportType.Tar && !hasDest)
            throw Error($"type={typeText} needs dest= (the archive file to write, or - for standard output)");
        if (type == ExportType.Local && !hasDest) throw Error("type=local needs dest= (the directory to write the files into)");
        if (type == ExportType.Local && dest == ExportOptions.StandardOutput) throw Error("type=local cannot write to standard output; use type=tar,dest=-");

        var names = new List<ImageReference>();
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var indexAnnotations = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var push = type == ExportType.Registry;
        var encoding = new ImageEncoding();
        foreach (var (key, text) in fields)
        {
            if (!isImage) throw Error($"unknown key \"{key}\" for type={typeText} (it takes only dest=)");
            switch (key)
            {
                case "name":
                    foreach (var name in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                        names.Add(ImageReference.TryParse(name, out var reference) ? reference : throw Error($"name \"{name}\" is not a valid image reference"));
                    if (names.Count == 0) throw Error("name= is empty");
                    break;
                case "push":
                    if (type is not (ExportType.Image or ExportType.Registry)) throw Error($"push= belongs to type=image, not type={typeText}");
                    push = Bool(key, text);
                    break;
                case "compression":
                    encoding = encoding with
                    {
                        Compression = text.ToLowerInvariant() switch
                        {
                            "gzip" => LayerCompression.Gzip,
                            "zstd" => LayerCompression.Zstd,
                            "uncompressed" => LayerCompression.Uncompressed,
                            "estargz" => throw Error("compression=estargz is not supported"),
                            _ => throw Error($"compression \"{text}\" must be gzip, zstd or uncompressed"),
                        },
                    };
                    break;
                case "compression-level":
                    encoding = encoding with
                    {
                        CompressionLevel = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var level) && level <= 22
                            ? level : throw Error($"compression-level \"{text}\" must be a whole number from 0 to 22"),
                    };
                    break;
                case "force-compression": encoding = encoding with { ForceCompression = Bool(key, text) }; break;
                case "oci-mediatypes": encoding = encoding with { OciMediaTypes = Bool(key, text) }; break;
                case "rewrite-timestamp": encoding = encoding with { RewriteTimestamp = Bool(key, text) }; break;
                default:
                    var (annotation, ofIndex) = ImageAnnotations.KeyOf(key, multiPlatform, Error) ?? throw Error($"unknown key \"{key}\"");
                    (ofIndex ? indexAnnotations : annotations)[annotation] = text;
                    break;
            }
        }
        if (encoding.CompressionLevel is { } given)
        {
            var (min, max) = encoding.Compression switch { LayerCompression.Gzip => (0, 9), LayerCompression.Zstd => (1, 22), _ => (0, 22) };
            if (given < min || given > max) throw Error($"compression-level={given} is out of range for {encoding.Compression.ToString().ToLowerInvariant()} ({min} to {max})");
        }

        return new ExportOptions
        {
            Type = type, Destination = dest ?? "", Names = names, Push = push,
            Encoding = encoding with { ManifestAnnotations = annotations, IndexAnnotations = indexAnnotations },
        };

        bool Bool(string key, string text) => text.ToLowerInvariant() switch
        {
            "true" or "1" => true,
            "false" or "0" => false,
            _ => throw Error($"{key}=\"{text}\" must be true or false"),
        };
    }
}
