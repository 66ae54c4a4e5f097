using Sbuild.Core;
using Sbuild.Frontend;
using Sbuild.Registry;

namespace Sbuild.Engine;

/// <summary>Where the images a Dockerfile names (<c>FROM</c>, <c>COPY --from</c>) come from.</summary>
public interface IImageSource
{
    /// <summary>The image, now in the local store; a failure is an <see cref="SbuildException"/> saying why.</summary>
    Task<StoredImage> GetAsync(ImageReference reference, Platform platform, CancellationToken ct);
}

/// <summary>
/// docker build's rule: a name the local store has is used as it is, without network, unless <paramref name="alwaysPull"/>
/// (<c>--pull</c>) asks to re-resolve its tag; anything else is pulled from its registry (once per build).
/// </summary>
public sealed class PullingImageSource(ImageStore store, ImagePuller puller, bool alwaysPull) : IImageSource
{
    public async Task<StoredImage> GetAsync(ImageReference reference, Platform platform, CancellationToken ct)
    {
        // A digest names the same bytes wherever they are: the store's copy never needs re-resolving.
        if ((!alwaysPull || reference.Digest is not null) && store.Find(reference) is { } local)
        {
            if (reference.Digest is not null || Provides(local, platform)) return local;
            // The name holds another platform's image (a pull for another platform of a multi-platform build): the
            // registry has the one asked for. An image only the store has (imported, loaded) is used as it is, as
            // BuildKit uses a named context whatever its platform.
            try
            {
                return await PullAsync(reference, platform, ct).ConfigureAwait(false);
            }
            catch (SbuildException e) when (e.Code is not ErrorCode.PlatformNotFound)
            {
                return local;
            }
        }
        return await PullAsync(reference, platform, ct).ConfigureAwait(false);
    }

    private async Task<StoredImage> PullAsync(ImageReference reference, Platform platform, CancellationToken ct)
    {
        var pulled = await puller.PullAsync(reference, platform, ct).ConfigureAwait(false);
        return new StoredImage(pulled.Name.ToString(), pulled.Manifest);
    }

    /// <summary>Whether the store's image is, or holds, one for <paramref name="platform"/>.</summary>
    private bool Provides(StoredImage image, Platform platform) => StoredPlatforms.SelectProvided(store.Content, image.Manifest, platform) is not null;
}

/// <summary>
/// The frontend's view of images: found or pulled through <paramref name="source"/>, then read from the store. Planning
/// is synchronous (the frontend converts instruction by instruction), so a pull waits here.
/// </summary>
public sealed class StoreImageResolver(ImageStore store, IImageSource source, CancellationToken ct) : IImageResolver
{
    public ResolvedImage Resolve(ImageReference reference, Platform platform)
    {
        var image = source.GetAsync(reference, platform, ct).GetAwaiter().GetResult();
        // A multi-platform image kept whole in the store gives the build's platform.
        var selected = StoredPlatforms.Select(store.Content, image.Manifest, platform)
            ?? throw new SbuildException(ErrorCode.ImageNotFound, $"image {reference} in the store has no image for {platform} (it has {string.Join(", ", StoredPlatforms.Manifests(store.Content, image.Manifest).Select(m => m.Platform))})");
        var manifest = store.ReadManifest(selected.Digest);
        return new ResolvedImage(selected.Digest, store.ReadConfig(manifest.Config.Digest));
    }
}
