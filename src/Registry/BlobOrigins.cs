using System.Text;
using Sbuild.Core;

namespace Sbuild.Registry;

/// <summary>
/// Which registry repositories each blob was pulled from or pushed to (<c>STORE/registry/origins/HEX</c>, one
/// <c>registry/repository</c> per line), so a push can ask the registry to mount a blob from a repository it already
/// has it in instead of uploading it again.
/// </summary>
public sealed class BlobOrigins(string storeRoot)
{
    private readonly string _dir = Path.Combine(storeRoot, "registry", "origins");
    private readonly Lock _gate = new();

    public IReadOnlyList<string> Of(Digest digest)
    {
        var path = Path.Combine(_dir, digest.Encoded);
        return File.Exists(path) ? File.ReadAllLines(path).Where(l => l.Length > 0).ToList() : [];
    }

    /// <summary>Another repository on <paramref name="registry"/> that holds <paramref name="digest"/>, if one is known.</summary>
    public string? MountSource(Digest digest, string registry, string exceptRepository) =>
        Of(digest).Select(o => o.Split('/', 2)).Where(p => p.Length == 2 && p[0] == registry && p[1] != exceptRepository)
            .Select(p => p[1]).FirstOrDefault();

    public void Record(Digest digest, string registry, string repository)
    {
        var line = $"{registry}/{repository}";
        lock (_gate)
        {
            var known = Of(digest);
            if (known.Contains(line)) return;
            Directory.CreateDirectory(_dir);
            // Newest first, a few kept: a mount source only needs to be one repository that still has the blob.
            var lines = known.Prepend(line).Take(8);
            AtomicFile.WriteAllBytes(Path.Combine(_dir, digest.Encoded), Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));
        }
    }
}
