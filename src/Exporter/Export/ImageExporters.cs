using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>Ships a built image somewhere (an archive file, standard output, ...).</summary>
public interface IImageExporter
{
    Task ExportAsync(ExportImage image, CancellationToken cancellationToken);
}

/// <summary>Resolves parsed <c>-o</c> options to the exporter that carries them out.</summary>
public static class ImageExporters
{
    /// <param name="standardOutput">Opens the stream for <c>dest=-</c>; the process's standard output by default.</param>
    public static IImageExporter Create(ExportOptions options, Func<Stream>? standardOutput = null)
    {
        ImageArchiveWriter writer = options.Type switch
        {
            ExportType.Oci => new OciArchiveWriter(options.Timestamp),
            ExportType.Docker => new DockerArchiveWriter(options.Timestamp),
            _ => throw new SbuildException(ErrorCode.InvalidOption, $"unsupported export type {options.Type}"),
        };
        return new ArchiveExporter(options, writer, standardOutput ?? Console.OpenStandardOutput);
    }
}
