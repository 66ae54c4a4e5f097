using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>Ships a built image somewhere (an archive file, standard output, a directory, ...).</summary>
public interface IImageExporter
{
    Task ExportAsync(ExportImage image, CancellationToken cancellationToken);
}

/// <summary>Resolves parsed <c>-o</c> options to the exporter that carries them out (image and registry outputs are the store's and the registry client's).</summary>
public static class ImageExporters
{
    /// <param name="standardOutput">Opens the stream for <c>dest=-</c>; the process's standard output by default.</param>
    /// <param name="scratchRoot">Where a tar export merges the layers (the CLI gives the store's tmp/); the system temp directory by default.</param>
    public static IImageExporter Create(ExportOptions options, Func<Stream>? standardOutput = null, string? scratchRoot = null)
    {
        standardOutput ??= Console.OpenStandardOutput;
        scratchRoot ??= Path.GetTempPath();
        return options.Type switch
        {
            ExportType.Oci => new ArchiveExporter(options, new OciArchiveWriter(options.Timestamp), standardOutput),
            ExportType.Docker => new ArchiveExporter(options, new DockerArchiveWriter(options.Timestamp), standardOutput),
            ExportType.Local or ExportType.Tar => new RootFsExporter(options, scratchRoot, standardOutput),
            _ => throw new SbuildException(ErrorCode.InvalidOption, $"type={options.Type.ToString().ToLowerInvariant()} is not exported to a file"),
        };
    }
}
