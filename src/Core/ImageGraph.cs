namespace Sbuild.Core;

/// <summary>
/// An image as a graph of content: an index points to manifests (or nested indexes), a manifest to its config and
/// layers. The one walk that export, garbage collection and the store check share.
/// </summary>
public static class ImageGraph
{
    /// <summary>What <paramref name="descriptor"/> points to: nothing for a config, a layer or an unknown type. Reads the
    /// blob, so it throws as <see cref="ContentStoreExtensions.ReadJson"/> does when the blob is missing or unreadable.</summary>
    public static IReadOnlyList<Descriptor> Children(IContentStore content, Descriptor descriptor)
    {
        if (MediaTypes.IsIndex(descriptor.MediaType))
            return content.ReadJson(descriptor.Digest, OciJsonContext.Canonical.ImageIndex).Manifests;
        if (MediaTypes.IsManifest(descriptor.MediaType))
            return content.ReadJson(descriptor.Digest, OciJsonContext.Canonical.ImageManifest) is var manifest ? [manifest.Config, .. manifest.Layers] : [];
        return [];
    }

    /// <summary>Every descriptor reachable from <paramref name="root"/>, the root first, each digest once. With
    /// <paramref name="skipMissing"/> a blob that is not in the store is listed but not descended into (what a
    /// collector needs: keep what is referenced, whether or not it is there); otherwise reading it throws.</summary>
    public static IReadOnlyList<Descriptor> Reachable(IContentStore content, Descriptor root, bool skipMissing = false)
    {
        var found = new List<Descriptor>();
        var seen = new HashSet<Digest>();
        var pending = new Stack<Descriptor>();
        pending.Push(root);
        while (pending.TryPop(out var descriptor))
        {
            if (!seen.Add(descriptor.Digest)) continue;
            found.Add(descriptor);
            if (skipMissing && !content.Exists(descriptor.Digest)) continue;
            var children = Children(content, descriptor);
            for (var i = children.Count - 1; i >= 0; i--) pending.Push(children[i]);
        }
        return found;
    }
}
