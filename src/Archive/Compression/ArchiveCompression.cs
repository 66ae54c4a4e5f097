namespace Sbuild.Archive.Compression;

/// <summary>How an archive is compressed: the formats docker's archive package (and so BuildKit's ADD) recognises.</summary>
public enum ArchiveCompression
{
    None,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}
