using Sbuild.Core;
using Sbuild.Snapshotter;

namespace Sbuild.Exporter;

/// <summary>
/// <c>type=local</c> and <c>type=tar</c>: the image's root file system (its layers applied in order, whiteouts carried
/// out), like BuildKit's local and tar exporters, with owners, modes, times, xattrs, hard links, symlinks and device
/// nodes kept. A tar is made from a merged copy in <paramref name="scratchRoot"/> that is removed afterwards.
/// </summary>
internal sealed class RootFsExporter(ExportOptions options, string scratchRoot, Func<Stream> standardOutput) : IImageExporter
{
    public async Task ExportAsync(ExportImage image, CancellationToken cancellationToken)
    {
        var (_, manifest) = ImageBlobs.ResolveManifest(image.Content, image.Manifest);
        if (options.Type == ExportType.Local)
        {
            await ApplyAsync(image.Content, manifest, Directory.CreateDirectory(Path.GetFullPath(options.Destination)).FullName, cancellationToken).ConfigureAwait(false);
            return;
        }
        var tree = Path.Combine(scratchRoot, "rootfs-" + Guid.NewGuid().ToString("N"));
        try
        {
            await ApplyAsync(image.Content, manifest, tree, cancellationToken).ConfigureAwait(false);
            if (options.WritesToStandardOutput)
            {
                var output = standardOutput();
                await using (output.ConfigureAwait(false))
                {
                    await TreeArchive.WriteAsync(tree, output, cancellationToken).ConfigureAwait(false);
                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                await ArchiveFile.WriteAtomicallyAsync(options.Destination,
                    output => TreeArchive.WriteAsync(tree, output, cancellationToken), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            TreeRemover.Delete(tree); // however deep the image's tree goes
        }
    }

    private static async Task ApplyAsync(IContentStore content, ImageManifest manifest, string target, CancellationToken cancellationToken)
    {
        foreach (var layer in manifest.Layers)
        {
            var tar = LayerReader.OpenTar(content, layer);
            await using (tar.ConfigureAwait(false))
                await LayerApplier.ApplyAsync(tar, target, WhiteoutHandling.Delete, cancellationToken).ConfigureAwait(false);
        }
    }
}
