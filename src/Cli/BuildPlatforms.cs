using Sbuild.Core;
using Sbuild.Engine;
using Sbuild.Exporter;

namespace Sbuild.Cli;

/// <summary>
/// <c>build --platform</c>: the platforms to build for, and what outputs can do with the image index several of them give
/// (as <c>docker buildx build --platform</c>).
/// </summary>
public static class BuildPlatforms
{
    /// <summary>
    /// The <c>--platform</c> values, each <c>os/arch[/variant]</c> or a comma-separated list of them (buildx takes both),
    /// in order and each once; empty when none is given (the host's, implicitly).
    /// </summary>
    public static IReadOnlyList<Platform> Parse(IReadOnlyList<string> values)
    {
        var platforms = new List<Platform>();
        foreach (var text in values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            if (!Platform.TryParse(text, out var platform))
                throw new SbuildException(ErrorCode.InvalidOption, $"--platform \"{text}\": expected OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm/v7 (several: comma-separated or repeated)");
            if (!platforms.Contains(platform)) platforms.Add(platform);
        }
        return platforms;
    }

    /// <summary>
    /// An image index cannot go into a docker-archive (buildx's docker exporter refuses it the same way), so a build of
    /// several platforms with <c>-o type=docker</c> or <c>--load</c> is refused before anything is built.
    /// </summary>
    public static void CheckOutputs(IReadOnlyList<Platform> platforms, IEnumerable<ExportOptions> exports, bool load)
    {
        if (platforms.Count < 2) return;
        if (load || exports.Any(e => e.Type == ExportType.Docker))
            throw new SbuildException(ErrorCode.InvalidOption,
                $"{(load ? "--load" : "-o type=docker")} with --platform {string.Join(',', platforms)}: docker exporter does not currently support exporting manifest lists (build one platform, or use -o type=oci)");
    }

    /// <summary>
    /// The result as an image output asks for it (compression, media types, annotations): each platform's image
    /// re-encoded and, for several platforms, a new index of them.
    /// </summary>
    public static async Task<Descriptor> EncodeAsync(IContentStore content, BuildResult result, ExportOptions export, CancellationToken ct)
    {
        if (result.Images.Count == 0)
            return await ImageEncoder.EncodeAsync(content, result.Manifest, result.BaseLayerCount, export.Encoding, export.OciMediaTypes, ct);
        var index = content.ReadJson(result.Manifest.Digest, OciJsonContext.Canonical.ImageIndex).Manifests;
        var images = new List<(Descriptor, Platform)>();
        for (var i = 0; i < result.Images.Count; i++)
            images.Add((await ImageEncoder.EncodeAsync(content, result.Images[i].Manifest, result.Images[i].BaseLayerCount, export.Encoding, export.OciMediaTypes, ct),
                index[i].Platform!));
        return images.Select(i => i.Item1).SequenceEqual(result.Images.Select(i => i.Manifest)) && export.Encoding.IndexAnnotations.Count == 0
            ? result.Manifest
            : new ImageWriter(content).WriteIndex(images, export.Encoding.IndexAnnotations);
    }
}
