using Sbuild.Core;

namespace Sbuild.Engine;

/// <summary>
/// What a content checksum covered (<see cref="ContextChecksum.ComputeListed"/>): every selected entry with the
/// fields a cache-miss explanation shows, and the content digests of the regular files. Kept compact; the records
/// are made only when a step misses and its inputs are recorded.
/// </summary>
public sealed class ContextListing(IReadOnlyList<ContextListing.Entry> entries, byte[][] digests, bool includeOwnership)
{
    /// <param name="Target">A symlink's target, or for a second hard link (<paramref name="HardLink"/>) the path it is a link of.</param>
    /// <param name="File">The regular file's index among the digests; -1 for other entries.</param>
    public readonly record struct Entry(string Relative, uint Type, uint Permissions, long Size, uint Uid, uint Gid, string? Target, bool HardLink, int File);

    public List<Explain.FileRecord> Records() => entries.Select(Record).ToList();

    private Explain.FileRecord Record(Entry entry)
    {
        var type = entry.HardLink ? "hardlink" : entry.Type switch
        {
            Posix.FileStat.Regular => "file", Posix.FileStat.Directory => "dir", Posix.FileStat.Symlink => "symlink",
            Posix.FileStat.CharDevice or Posix.FileStat.BlockDevice => "device", _ => "other",
        };
        // Only a regular file's size is its content's; a directory's depends on the file system.
        // Shown to the user (and written as JSON, which has no room for bytes that are not UTF-8): escapes as \xNN.
        return new Explain.FileRecord(EscapedNames.Shown(entry.Relative), type, "0" + Convert.ToString(entry.Permissions, 8), entry.Size,
            Digest: entry.File >= 0 ? Digest.FromSha256Bytes(digests[entry.File]).ToString() : null,
            Target: entry.Target is { } target ? EscapedNames.Shown(target) : null,
            Owner: includeOwnership ? $"{entry.Uid}:{entry.Gid}" : null);
    }
}
