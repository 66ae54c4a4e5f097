using Sbuild.Core;

namespace Sbuild.Exporter;

public enum ExportType
{
    /// <summary>OCI image layout tarball (<c>type=oci</c>).</summary>
    Oci,
    /// <summary>Tarball for <c>docker load</c> (<c>type=docker</c>).</summary>
    Docker,
    /// <summary>Push to the registry each name points at (<c>type=registry</c>); carried out by the registry client.</summary>
    Registry,
}

/// <summary>A parsed <c>-o/--output</c> value such as <c>type=oci,dest=app.tar</c>.</summary>
public sealed record ExportOptions
{
    /// <summary>The <c>dest</c> value that means standard output.</summary>
    public const string StandardOutput = "-";

    public required ExportType Type { get; init; }

    /// <summary>The archive file to write, or <see cref="StandardOutput"/>; empty for <see cref="ExportType.Registry"/>.</summary>
    public required string Destination { get; init; }

    /// <summary>Names from <c>name=</c>; when empty the image keeps the names it was built with (<c>-t</c>).</summary>
    public IReadOnlyList<ImageReference> Names { get; init; } = [];

    /// <summary>Archive member mtime; the CLI sets it from SOURCE_DATE_EPOCH. Null means the Unix epoch.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    public bool WritesToStandardOutput => Destination == StandardOutput;

    /// <summary>Parses <paramref name="value"/>; errors are <see cref="ErrorCode.InvalidOption"/> and name <paramref name="flag"/>.</summary>
    public static ExportOptions Parse(string value, string flag = "--output") => ExportOptionsParser.Parse(value, flag);
}
