using Sbuild.Core;
using Sbuild.Core.Metadata;
using Sbuild.Parser;

namespace Sbuild.Engine;

/// <summary>
/// The build context as COPY and ADD read it: a host directory, its .dockerignore rules, and the store's stat cache
/// (null for none) so that unchanged files are not read again to key a step.
/// </summary>
public sealed record LocalContext(string Root, DockerIgnore Ignore, FileDigestCache? StatCache = null)
{
    /// <summary><c>Dockerfile.dockerignore</c> beside the Dockerfile wins over <c>.dockerignore</c> in the context root.</summary>
    public static LocalContext Load(string root, string dockerfilePath, StoreDatabase? database)
    {
        var specific = dockerfilePath + ".dockerignore";
        var path = File.Exists(specific) ? specific : Path.Combine(root, ".dockerignore");
        var ignore = File.Exists(path) ? DockerIgnore.Parse(File.ReadAllText(path), path) : DockerIgnore.Empty;
        return new LocalContext(root, ignore, FileDigestCache.ForContext(database, root));
    }

    /// <summary>The content checksum of what <paramref name="selection"/> selects (see <see cref="ContextChecksum"/>).</summary>
    public Digest Checksum(CopySelection selection, CancellationToken ct) => ContextChecksum.Compute(Root, selection, Ignore, StatCache, ct: ct);

    /// <summary>Every entry <paramref name="selection"/> selects, with content digests (for cache-miss explanations).</summary>
    public List<Explain.FileRecord> Listing(CopySelection selection)
    {
        var listing = new List<Explain.FileRecord>();
        ContextChecksum.Compute(Root, selection, Ignore, StatCache, listing: listing);
        return listing;
    }
}
