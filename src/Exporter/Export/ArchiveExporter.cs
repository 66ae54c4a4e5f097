namespace Sbuild.Exporter;

/// <summary>Writes the image archive to the <c>dest</c> file (atomically) or to standard output.</summary>
internal sealed class ArchiveExporter(ExportOptions options, ImageArchiveWriter writer, Func<Stream> standardOutput) : IImageExporter
{
    public async Task ExportAsync(ExportImage image, CancellationToken cancellationToken)
    {
        if (options.Names.Count > 0) image = image with { Names = options.Names };
        if (!options.WritesToStandardOutput)
        {
            await writer.WriteToFileAsync(image, options.Destination, cancellationToken).ConfigureAwait(false);
            return;
        }
        var output = standardOutput();
        await using (output.ConfigureAwait(false))
        {
            await writer.WriteAsync(image, output, cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
