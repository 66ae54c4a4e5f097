using System.Text;
using Sbuild.Core;
using Sbuild.Exporter;

namespace Sbuild.Engine;

/// <summary>
/// Layers unpacked into one committed snapshot per layer, each named by its chain ID and shared by every build (so the
/// same layers, from an image or from an imported cache, are unpacked once). Returns the top snapshot's name.
/// </summary>
public static class LayerChain
{
    public static async Task<string?> UnpackAsync(SnapshotWorkspace workspace, IContentStore content, IReadOnlyList<LayerBlob> layers, CancellationToken ct)
    {
        string? parent = null;
        Digest? chain = null;
        foreach (var layer in layers)
        {
            chain = chain is { } below ? Digest.Of(Encoding.UTF8.GetBytes($"{below} {layer.DiffId}")) : layer.DiffId;
            parent = await workspace.EnsureLayerAsync("layer-" + chain.Value.Encoded, parent,
                (apply, token) => OpenLayer(content, layer.Blob, apply, token), ct).ConfigureAwait(false);
        }
        return parent;
    }

    private static async Task OpenLayer(IContentStore content, Descriptor blob, Func<Stream, Task> apply, CancellationToken ct)
    {
        await using var tar = LayerReader.OpenTar(content, blob);
        await apply(tar).ConfigureAwait(false);
    }
}
