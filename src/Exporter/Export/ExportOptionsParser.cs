using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>
/// Parses BuildKit-style exporter specs: comma-separated <c>key=value</c> fields, a field may be double-quoted to hold
/// commas (<c>"name=a:1,b:2"</c>). Keys: type (oci|docker), dest (file or -), name (comma-separated image names).
/// </summary>
internal static class ExportOptionsParser
{
    private const string Supported = "type=oci|docker, dest=FILE|-, name=NAME[,NAME...]; or type=registry[,name=NAME[,NAME...]]";

    public static ExportOptions Parse(string value, string flag)
    {
        SbuildException Error(string problem) =>
            new(ErrorCode.InvalidOption, $"invalid {flag} \"{value}\": {problem} (expected {Supported})");

        if (string.IsNullOrWhiteSpace(value)) throw Error("the value is empty");

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var split = OptionFields.Split(value, Error);
        foreach (var field in split)
        {
            var eq = field.IndexOf('=');
            if (eq < 0)
                throw Error(split.Count == 1
                    ? $"\"{field}\" is not key=value (a bare path or - would mean a plain file system export, type=local/tar, which is not supported)"
                    : $"\"{field}\" is not key=value");
            var key = field[..eq].Trim().ToLowerInvariant();
            if (key is not ("type" or "dest" or "name"))
                throw Error($"unknown key \"{key}\"");
            if (!fields.TryAdd(key, field[(eq + 1)..].Trim()))
                throw Error($"\"{key}\" is given more than once");
        }

        if (!fields.TryGetValue("type", out var typeText) || typeText.Length == 0)
            throw Error("missing type=");
        var type = typeText.ToLowerInvariant() switch
        {
            "oci" => ExportType.Oci,
            "docker" => ExportType.Docker,
            "registry" => ExportType.Registry,
            _ => throw Error($"unsupported type \"{typeText}\""),
        };
        var hasDest = fields.TryGetValue("dest", out var dest) && dest.Length > 0;
        if (type == ExportType.Registry && hasDest)
            throw Error("type=registry takes no dest= (the image goes to the registry its name points at)");
        if (type != ExportType.Registry && !hasDest)
            throw Error($"type={typeText} needs dest= (the archive file to write, or - for standard output)");

        var names = new List<ImageReference>();
        if (fields.TryGetValue("name", out var nameList))
        {
            foreach (var name in nameList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                names.Add(ImageReference.TryParse(name, out var reference) ? reference : throw Error($"name \"{name}\" is not a valid image reference"));
            if (names.Count == 0) throw Error("name= is empty");
        }

        return new ExportOptions { Type = type, Destination = dest ?? "", Names = names };
    }
}
