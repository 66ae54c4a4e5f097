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
        var trees = Trees(image.Content, image.Manifest);
        if (options.Type == ExportType.Local)
        {
            var destination = Directory.CreateDirectory(Path.GetFullPath(options.Destination)).FullName;
            foreach (var (directory, manifest) in trees)
                await ApplyAsync(image.Content, manifest, Path.Combine(destination, directory), cancellationToken).ConfigureAwait(false);
            return;
        }
        var tree = Path.Combine(scratchRoot, "rootfs-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var (directory, manifest) in trees)
                await ApplyAsync(image.Content, manifest, Path.Combine(tree, directory), cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// What goes where: one image's files at the top; an index of several platforms (a multi-platform build) puts each
    /// platform's files in a directory named like BuildKit's, <c>linux_amd64/</c>, <c>linux_arm_v7/</c>.
    /// </summary>
    private static IReadOnlyList<(string Directory, ImageManifest Manifest)> Trees(IContentStore content, Descriptor root)
    {
        var platforms = MediaTypes.IsIndex(root.MediaType)
            ? content.ReadJson(root.Digest, OciJsonContext.Canonical.ImageIndex).Manifests.Where(m => MediaTypes.IsManifest(m.MediaType) && m.Platform is { Os: not "unknown" }).ToList()
            : [];
        if (platforms.Count < 2) return [("", ImageBlobs.ResolveManifest(content, root).Manifest)];
        return platforms.Select(m => (m.Platform!.ToString().Replace('/', '_'), content.ReadJson(m.Digest, OciJsonContext.Canonical.ImageManifest))).ToList();
    }

    private static async Task ApplyAsync(IContentStore content, ImageManifest manifest, string target, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(target); // an image without layers is an empty directory
        foreach (var layer in manifest.Layers)
        {
            var tar = LayerReader.OpenTar(content, layer);
            await using (tar.ConfigureAwait(false))
                await LayerApplier.ApplyAsync(tar, target, WhiteoutHandling.Delete, cancellationToken).ConfigureAwait(false);
        }
    }
}
