using Sbuild.Core;
using Sbuild.Exporter;

namespace Sbuild.Engine;

/// <summary><c>sbuild image import</c>: a root filesystem tarball becomes a one-layer image (like <c>docker import</c>).</summary>
public static class ImageImporter
{
    /// <param name="config">The container config (<c>--change</c>); empty by default.</param>
    /// <param name="platform">The image's platform (<c>--platform</c>); the host's by default.</param>
    public static async Task<WrittenImage> ImportAsync(ImageStore store, string tarPath, ImageReference name, DateTimeOffset? sourceDateEpoch,
        ContainerConfig? config, Platform? platform, CancellationToken ct)
    {
        LayerBlob layer;
        await using (var input = new FileStream(tarPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
            layer = await LayerBlobWriter.ImportTarAsync(store.Content, input, LayerCompression.Gzip, ct).ConfigureAwait(false);
        var created = sourceDateEpoch ?? DateTimeOffset.UtcNow;
        platform ??= Platform.Host;
        var imageConfig = new ImageConfig
        {
            Created = created,
            Architecture = platform.Architecture,
            Os = platform.Os,
            Variant = platform.Variant,
            Config = config ?? new ContainerConfig(),
            RootFs = new RootFs { DiffIds = [layer.DiffId] },
            History = [new HistoryEntry { Created = created, CreatedBy = $"sbuild image import {Path.GetFileName(tarPath)}", Comment = "Imported from rootfs tarball" }],
        };
        var image = new ImageWriter(store.Content).Write(imageConfig, [layer.Blob]);
        store.Tag(name, image.Manifest);
        return image;
    }
}
