using System.Security.Cryptography;
using System.Text;
using Sbuild.Core;
using Sbuild.Parser;

namespace Sbuild.Build;

/// <summary>
/// Content checksum of the files a COPY reads, so its cache key changes exactly when they do: paths, types, modes,
/// link targets and file contents count; times do not (BuildKit's checksums ignore mtimes too), nor does ownership
/// unless <c>includeOwnership</c> (COPY resets the owners of context files but keeps those of another stage's).
/// </summary>
public static class ContextChecksum
{
    public static Digest Compute(string contextDir, IReadOnlyList<string> sources, DockerIgnore? ignore = null, bool includeOwnership = false)
    {
        ignore ??= DockerIgnore.Empty;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var source in sources)
        {
            Append(hash, $"source {source}\n");
            foreach (var (relative, host) in SourceMatcher.Expand(contextDir, source, ignore))
                AppendTree(hash, host, relative, ignore, includeOwnership);
        }
        return Digest.FromSha256Bytes(hash.GetHashAndReset());
    }

    private static void AppendTree(IncrementalHash hash, string host, string relative, DockerIgnore ignore, bool includeOwnership)
    {
        if (!Posix.TryLStat(host, out var st)) return;
        Append(hash, $"{relative}\0{st.Type:x}\0{Convert.ToString(st.Permissions, 8)}\0");
        if (includeOwnership) Append(hash, $"{st.Uid}:{st.Gid}\0");
        switch (st.Type)
        {
            case Posix.FileStat.Regular:
                using (var file = new FileStream(host, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
                    hash.AppendData(SHA256.HashData(file));
                break;
            case Posix.FileStat.Symlink:
                Append(hash, new FileInfo(host).LinkTarget ?? "");
                break;
            case Posix.FileStat.Directory:
                foreach (var child in Directory.EnumerateFileSystemEntries(host).Order(StringComparer.Ordinal))
                {
                    var childRelative = SourceMatcher.Join(relative, Path.GetFileName(child));
                    if (ignore.ExcludesEntry(childRelative, child)) continue;
                    AppendTree(hash, child, childRelative, ignore, includeOwnership);
                }
                break;
        }
        Append(hash, "\n");
    }

    private static void Append(IncrementalHash hash, string text) => hash.AppendData(Encoding.UTF8.GetBytes(text));
}
