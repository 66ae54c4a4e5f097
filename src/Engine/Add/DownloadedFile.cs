using Sbuild.Core;

namespace Sbuild.Engine;

/// <summary>
/// A file ADD fetched from a URL, held in a temporary file until it is installed; disposing deletes that file.
/// </summary>
/// <param name="Url">The URL as written in the Dockerfile.</param>
/// <param name="TempPath">Host path of the downloaded bytes (mode 0600).</param>
/// <param name="FileName">Name the file gets when the destination is a directory: the URL's last path segment, or "__unnamed__".</param>
/// <param name="Digest">sha256 of the content: BuildKit keys a remote ADD by it, so the cache key is known only after the download.</param>
/// <param name="Size">Length in bytes.</param>
/// <param name="LastModified">The Last-Modified response header, which becomes the file's mtime (the epoch when absent).</param>
/// <param name="ETag">The ETag response header as sent (quotes included), for cache-miss explanations.</param>
public sealed record DownloadedFile(string Url, string TempPath, string FileName, Digest Digest, long Size, DateTimeOffset? LastModified, string? ETag = null) : IDisposable
{
    /// <summary>The mtime ADD gives the file, in seconds since the epoch.</summary>
    public long ModificationTimeSeconds => Math.Max(0, LastModified?.ToUnixTimeSeconds() ?? 0);

    public void Dispose() => File.Delete(TempPath);
}
