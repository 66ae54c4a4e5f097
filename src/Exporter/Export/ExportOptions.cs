using Sbuild.Core;

namespace Sbuild.Exporter;

public enum ExportType
{
    /// <summary>The local store (<c>type=image</c>): what <c>-t</c> does; with <c>push=true</c> also the registry.</summary>
    Image,
    /// <summary>OCI image layout tarball (<c>type=oci</c>).</summary>
    Oci,
    /// <summary>Tarball for <c>docker load</c> (<c>type=docker</c>).</summary>
    Docker,
    /// <summary>Push to the registry each name points at (<c>type=registry</c>, the same as <c>type=image,push=true</c>).</summary>
    Registry,
    /// <summary>The final stage's root file system written into a directory (<c>type=local</c>).</summary>
    Local,
    /// <summary>The final stage's root file system as one tar (<c>type=tar</c>).</summary>
    Tar,
}

/// <summary>A parsed <c>-o/--output</c> value such as <c>type=oci,dest=app.tar,compression=zstd</c>.</summary>
public sealed record ExportOptions
{
    /// <summary>The <c>dest</c> value that means standard output.</summary>
    public const string StandardOutput = "-";

    public required ExportType Type { get; init; }

    /// <summary>
    /// The archive file (oci, docker, tar) or directory (local) to write, or <see cref="StandardOutput"/>; empty for
    /// image and registry.
    /// </summary>
    public required string Destination { get; init; }

    /// <summary>Names from <c>name=</c>; when empty the image keeps the names it was built with (<c>-t</c>).</summary>
    public IReadOnlyList<ImageReference> Names { get; init; } = [];

    /// <summary>Push each name to its registry: type=registry, or type=image with <c>push=true</c>.</summary>
    public bool Push { get; init; }

    /// <summary>Archive member mtime; the CLI sets it from SOURCE_DATE_EPOCH. Null means the Unix epoch.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>How the image's layers are shipped (image outputs only): compression, media types, annotations.</summary>
    public ImageEncoding Encoding { get; init; } = new();

    public bool WritesToStandardOutput => Destination == StandardOutput;

    /// <summary>Outputs that ship the image (manifest, config, layers) rather than its root file system.</summary>
    public bool IsImage => Type is ExportType.Image or ExportType.Oci or ExportType.Docker or ExportType.Registry;

    /// <summary>OCI media types unless <c>oci-mediatypes=false</c>; type=docker defaults to Docker's (as in BuildKit).</summary>
    public bool OciMediaTypes => Encoding.OciMediaTypes ?? Type != ExportType.Docker;

    /// <summary>Parses <paramref name="value"/>; errors are <see cref="ErrorCode.InvalidOption"/> and name <paramref name="flag"/>.</summary>
    /// <param name="multiPlatform">The build gives an image index (several platforms), which may carry index annotations.</param>
    public static ExportOptions Parse(string value, string flag = "--output", bool multiPlatform = false) => ExportOptionsParser.Parse(value, flag, multiPlatform);
}

/// <summary>
/// The layer and manifest options of image outputs, as BuildKit's image exporters take them: <c>compression</c>,
/// <c>compression-level</c>, <c>force-compression</c>, <c>oci-mediatypes</c>, <c>rewrite-timestamp</c> and
/// <c>annotation.KEY</c> / <c>annotation-manifest.KEY</c>.
/// </summary>
public sealed record ImageEncoding
{
    public LayerCompression Compression { get; init; } = LayerCompression.Gzip;

    /// <summary>The level of <see cref="Compression"/>; null for its default (gzip 6, zstd 3).</summary>
    public int? CompressionLevel { get; init; }

    /// <summary>Recompress base-image layers too; otherwise they pass through byte for byte.</summary>
    public bool ForceCompression { get; init; }

    /// <summary>Null: the output type's default.</summary>
    public bool? OciMediaTypes { get; init; }

    /// <summary>
    /// <c>rewrite-timestamp=true</c>: file times in new layers are clamped to SOURCE_DATE_EPOCH. sbuild always clamps
    /// new layers when SOURCE_DATE_EPOCH is set, so the option only states what happens anyway.
    /// </summary>
    public bool RewriteTimestamp { get; init; }

    /// <summary>Annotations of the image manifest.</summary>
    public IReadOnlyDictionary<string, string> ManifestAnnotations { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Annotations of the image index (a build of several platforms only).</summary>
    public IReadOnlyDictionary<string, string> IndexAnnotations { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Whether exporting needs a new manifest (or can ship the stored one as it is).</summary>
    public bool ChangesNothing(bool ociMediaTypes) =>
        Compression == LayerCompression.Gzip && CompressionLevel is null && !ForceCompression && ociMediaTypes && ManifestAnnotations.Count == 0;
}

public static class ExportDestinations
{
    /// <summary>
    /// Refuses, before anything is built, a <c>dest=</c> whose directory does not exist (or, for a file, that is a
    /// directory), and more than one output to standard output; errors name <paramref name="flag"/>.
    /// </summary>
    public static void Check(IReadOnlyList<ExportOptions> outputs, string flag)
    {
        if (outputs.Count(o => o.WritesToStandardOutput) > 1)
            throw new SbuildException(ErrorCode.InvalidOption, $"{flag}: only one output can write to standard output (dest=-)");
        foreach (var output in outputs.Where(o => o.Destination.Length > 0 && !o.WritesToStandardOutput))
        {
            var full = Path.GetFullPath(output.Destination);
            var parent = Path.GetDirectoryName(full.TrimEnd('/'));
            if (parent is not null && !Directory.Exists(parent))
                throw new SbuildException(ErrorCode.InvalidOption, $"{flag} dest={output.Destination}: the directory {parent} does not exist");
            if (output.Type != ExportType.Local && Directory.Exists(full))
                throw new SbuildException(ErrorCode.InvalidOption, $"{flag} dest={output.Destination}: is a directory; type={output.Type.ToString().ToLowerInvariant()} writes a file");
            if (output.Type == ExportType.Local && File.Exists(full))
                throw new SbuildException(ErrorCode.InvalidOption, $"{flag} dest={output.Destination}: is a file; type=local writes a directory");
        }
    }
}
