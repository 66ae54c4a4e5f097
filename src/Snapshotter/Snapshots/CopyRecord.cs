using System.Buffers.Binary;
using System.Text;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// What the copy snapshotter notes when it has copied a parent's tree, so its differ can skip what nobody touched:
/// <list type="bullet">
/// <item><see cref="Completed"/>: the record file's change time (ctime), taken after the last copied file was written.
/// Any later write, chmod, chown, xattr change, link, unlink or rename gives the inode a later ctime, and no call can
/// set a ctime back, so an entry whose ctime is earlier has not been touched since the copy.</item>
/// <item>The inode of every copied directory by path: renaming a directory changes its own ctime but not its
/// entries', so an untouched entry is only known to be at its copied path if its directory still is.</item>
/// </list>
/// </summary>
internal sealed class CopyRecord
{
    private static readonly byte[] Magic = "sbuild-copy-record-1\n"u8.ToArray();
    private readonly Dictionary<string, ulong> _directoryInodes;

    private CopyRecord(Dictionary<string, ulong> directoryInodes, long completed)
    {
        _directoryInodes = directoryInodes;
        Completed = completed;
    }

    /// <summary>Nanoseconds since the epoch: entries changed since have a ctime at least this.</summary>
    public long Completed { get; }

    /// <summary>Whether directory <paramref name="relative"/> with inode <paramref name="inode"/> is the one the copy made at that path.</summary>
    public bool IsCopiedDirectory(string relative, ulong inode) => _directoryInodes.TryGetValue(relative, out var copied) && copied == inode;

    /// <summary>Writes the record after the tree is complete: the file's ctime becomes <see cref="Completed"/>.</summary>
    public static void Write(string file, IReadOnlyDictionary<string, ulong> directoryInodes)
    {
        using var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        stream.Write(Magic);
        Span<byte> header = stackalloc byte[12];
        foreach (var (path, inode) in directoryInodes)
        {
            var bytes = Encoding.UTF8.GetBytes(path);
            BinaryPrimitives.WriteUInt64LittleEndian(header, inode);
            BinaryPrimitives.WriteInt32LittleEndian(header[8..], bytes.Length);
            stream.Write(header);
            stream.Write(bytes);
        }
    }

    /// <summary>
    /// The record, or null when it is missing or damaged (a crash between copy and record) or when the clock now reads
    /// earlier than the record (stepped back, so ctimes cannot be trusted): the differ then compares every entry.
    /// </summary>
    public static CopyRecord? Read(string file)
    {
        if (!Posix.TryLStat(file, out var stat) || stat.CTimeNs > (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100) return null;
        byte[] data;
        try
        {
            data = File.ReadAllBytes(file);
        }
        catch (IOException)
        {
            return null;
        }
        if (!data.AsSpan().StartsWith(Magic)) return null;
        var inodes = new Dictionary<string, ulong>(StringComparer.Ordinal);
        for (var offset = Magic.Length; offset < data.Length;)
        {
            if (data.Length - offset < 12) return null;
            var inode = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(offset));
            var length = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(offset + 8));
            offset += 12;
            if (length < 0 || length > data.Length - offset) return null;
            inodes[Encoding.UTF8.GetString(data, offset, length)] = inode;
            offset += length;
        }
        return new CopyRecord(inodes, stat.CTimeNs);
    }
}
