using Sbuild.Core;

namespace Sbuild.Frontend;

/// <summary>An image the frontend planned with: the manifest it is pinned to, and its config (ENV, WORKDIR, ONBUILD, …).</summary>
public sealed record ResolvedImage(Digest Manifest, ImageConfig Config);

/// <summary>
/// How the frontend learns about images it names (<c>FROM</c>, <c>COPY --from</c>) while planning: their config shapes
/// the steps that follow (BuildKit's ResolveImageConfig). Failures are <see cref="SbuildException"/>s saying why.
/// </summary>
public interface IImageResolver
{
    ResolvedImage Resolve(ImageReference reference, Platform platform);
}
