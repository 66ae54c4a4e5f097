using System.Formats.Tar;
using System.Text;
using Sbuild.TestSupport;

namespace Sbuild.Engine.Tests.Add;

/// <summary>Writes a real tar archive entry by entry with TarWriter, every field chosen by the test.</summary>
public sealed class TarBuilder(TarEntryFormat format = TarEntryFormat.Pax)
{
    /// <summary>The mtime entries get unless a test gives one: 2020-01-02 03:04:05 UTC.</summary>
    public static readonly DateTimeOffset DefaultTime = new(2020, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private readonly List<TarEntry> _entries = [];

    public TarBuilder File(string name, string content, string mode = "0644", int uid = 0, int gid = 0, DateTimeOffset? mtime = null)
    {
        var entry = New(TarEntryType.RegularFile, name, mode, uid, gid, mtime);
        entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content));
        return Add(entry);
    }

    public TarBuilder Dir(string name, string mode = "0755", int uid = 0, int gid = 0, DateTimeOffset? mtime = null) =>
        Add(New(TarEntryType.Directory, name, mode, uid, gid, mtime));

    public TarBuilder Symlink(string name, string target, int uid = 0, int gid = 0, DateTimeOffset? mtime = null)
    {
        var entry = New(TarEntryType.SymbolicLink, name, "0777", uid, gid, mtime);
        entry.LinkName = target;
        return Add(entry);
    }

    /// <summary>A hard link entry; like GNU tar, it repeats the metadata of the file it links to.</summary>
    public TarBuilder HardLink(string name, string target, string mode = "0644", int uid = 0, int gid = 0, DateTimeOffset? mtime = null)
    {
        var entry = New(TarEntryType.HardLink, name, mode, uid, gid, mtime);
        entry.LinkName = target;
        return Add(entry);
    }

    public TarBuilder Device(string name, TarEntryType type, int major, int minor, string mode = "0666")
    {
        var entry = (PosixTarEntry)New(type, name, mode, 0, 0, null);
        entry.DeviceMajor = major;
        entry.DeviceMinor = minor;
        return Add(entry);
    }

    public TarBuilder Fifo(string name, string mode = "0644") => Add(New(TarEntryType.Fifo, name, mode, 0, 0, null));

    /// <summary>Writes the archive to <paramref name="path"/> and returns the path.</summary>
    public string WriteTo(string path)
    {
        using (var file = System.IO.File.Create(path))
        using (var writer = new TarWriter(file, format, leaveOpen: false))
        {
            foreach (var entry in _entries)
            {
                entry.DataStream?.Seek(0, SeekOrigin.Begin);
                writer.WriteEntry(entry);
            }
        }
        return path;
    }

    private TarBuilder Add(TarEntry entry)
    {
        _entries.Add(entry);
        return this;
    }

    private TarEntry New(TarEntryType type, string name, string mode, int uid, int gid, DateTimeOffset? mtime)
    {
        TarEntry entry = format switch
        {
            TarEntryFormat.Pax => new PaxTarEntry(type, name),
            TarEntryFormat.Gnu => new GnuTarEntry(type, name),
            TarEntryFormat.Ustar => new UstarTarEntry(type, name),
            _ => new V7TarEntry(type == TarEntryType.RegularFile ? TarEntryType.V7RegularFile : type, name),
        };
        entry.Mode = Modes.Octal(mode);
        entry.Uid = uid;
        entry.Gid = gid;
        entry.ModificationTime = mtime ?? DefaultTime;
        return entry;
    }
}
