using System.Collections.Concurrent;
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

    /// <summary>What each selection's checksum covered, for <see cref="Listing"/>: a step that misses lists the walk its
    /// key was made from instead of walking the context again.</summary>
    private readonly ConcurrentDictionary<string, ContextListing> _listed = new(StringComparer.Ordinal);

    /// <summary>The content checksum of what <paramref name="selection"/> selects (see <see cref="ContextChecksum"/>).</summary>
    public Digest Checksum(CopySelection selection, CancellationToken ct)
    {
        var (checksum, listing) = ContextChecksum.ComputeListed(Root, selection, Ignore, StatCache, includeOwnership: false, ct);
        _listed[selection.Text()] = listing;
        return checksum;
    }

    /// <summary>Every entry <paramref name="selection"/> selects, with content digests (for cache-miss explanations):
    /// as its last checksum saw them.</summary>
    public List<Explain.FileRecord> Listing(CopySelection selection) =>
        (_listed.TryGetValue(selection.Text(), out var listing)
            ? listing
            : ContextChecksum.ComputeListed(Root, selection, Ignore, StatCache, includeOwnership: false, CancellationToken.None).Listing).Records();
}
