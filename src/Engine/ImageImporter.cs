using Sbuild.Core;
using Sbuild.Exporter;

namespace Sbuild.Engine;

/// <summary><c>sbuild image import</c>: a root filesystem tarball becomes a one-layer image (like <c>docker import</c>).</summary>
public static class ImageImporter
{
    public static async Task<WrittenImage> ImportAsync(ImageStore store, string tarPath, ImageReference name, DateTimeOffset? sourceDateEpoch, CancellationToken ct)
    {
        LayerBlob layer;
        await using (var input = new FileStream(tarPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
            layer = await LayerBlobWriter.ImportTarAsync(store.Content, input, LayerCompression.Gzip, ct).ConfigureAwait(false);
        var created = sourceDateEpoch ?? DateTimeOffset.UtcNow;
        var config = new ImageConfig
        {
            Created = created,
            Architecture = Platform.Host.Architecture,
            Os = Platform.Host.Os,
            RootFs = new RootFs { DiffIds = [layer.DiffId] },
            History = [new HistoryEntry { Created = created, CreatedBy = $"sbuild image import {Path.GetFileName(tarPath)}", Comment = "Imported from rootfs tarball" }],
        };
        var image = new ImageWriter(store.Content).Write(config, [layer.Blob]);
        store.Tag(name, image.Manifest);
        return image;
    }
}
