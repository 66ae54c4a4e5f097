using System.Formats.Tar;
using Sbuild.Core;

namespace Sbuild.Build;

/// <summary>One run of <see cref="ArchiveExtractor.ExtractAsync"/>: the state that lives while one archive is unpacked.</summary>
internal sealed class ArchiveExtraction(ExtractionRoot root, CopyOwnership ownership, string archiveName)
{
    private const uint ImpliedDirectoryMode = 0x1ED; // 0755 for parents the archive does not list, like Docker
    /// <summary>Directory times are set last, deepest last-listed first: creating children would change them again.</summary>
    private readonly List<(string HostPath, long Sec, long Nsec)> _directoryTimes = [];

    public async Task RunAsync(Stream tar, CancellationToken ct)
    {
        await using var reader = new TarReader(tar, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
        {
            ct.ThrowIfCancellationRequested();
            if (entry.EntryType == TarEntryType.GlobalExtendedAttributes) continue;
            var parts = ArchiveEntryPath.Clean(entry.Name, archiveName);
            if (parts.Count == 0) continue; // "./" is the destination itself, which keeps its own metadata
            await CreateAsync(entry, parts, ct).ConfigureAwait(false);
        }
        for (var i = _directoryTimes.Count - 1; i >= 0; i--)
        {
            var (host, sec, nsec) = _directoryTimes[i];
            if (Posix.TryLStat(host, out var st) && st.Type == Posix.FileStat.Directory) Posix.SetTimes(host, sec, nsec);
        }
    }

    private async Task CreateAsync(TarEntry entry, List<string> parts, CancellationToken ct)
    {
        // Checked before anything at the entry's name is touched.
        if (!IsExtractable(entry.EntryType))
            throw Invalid($"entry \"{entry.Name}\" has type {entry.EntryType}, which ADD does not extract");
        var isDirectory = entry.EntryType == TarEntryType.Directory;
        var target = root.Resolve(parts, followLeaf: isDirectory, entry.Name);
        if (target.Count == 0) return; // a directory entry whose symlink leads back to the destination itself
        // A hard link's target is found before anything at the new name is removed: it may be that very file.
        var linkTarget = entry.EntryType == TarEntryType.HardLink ? ExistingLinkTarget(entry) : null;
        if (linkTarget is not null && linkTarget.SequenceEqual(target)) return;

        CreateParents(target, entry.Name);
        var host = root.HostPath(target);
        RemoveUnlessMerging(host, isDirectory);

        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                if (!Directory.Exists(host)) Directory.CreateDirectory(host);
                ApplyOwnerAndMode(host, entry);
                var (sec, nsec) = ModificationTime(entry);
                _directoryTimes.Add((host, sec, nsec));
                return;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                await WriteFileAsync(host, entry, ct).ConfigureAwait(false);
                break;
            case TarEntryType.SymbolicLink:
                if (entry.LinkName.Length == 0) throw Invalid($"symbolic link \"{entry.Name}\" has no target");
                File.CreateSymbolicLink(host, entry.LinkName);
                Posix.LChown(host, Uid(entry), Gid(entry));
                SetTimes(host, entry);
                return;
            case TarEntryType.HardLink:
                var existing = root.HostPath(linkTarget!);
                Posix.Link(existing, host);
                Posix.LChown(host, Uid(entry), Gid(entry));
                if (Posix.LStat(host).Type == Posix.FileStat.Symlink) return; // a link to a symlink has no mode or time to set
                break;
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                var (major, minor) = entry is PosixTarEntry posix ? ((uint)posix.DeviceMajor, (uint)posix.DeviceMinor) : (0u, 0u);
                Posix.MkNod(host, FileTypeBits(entry.EntryType) | Permissions(entry), major, minor);
                break;
        }
        ApplyOwnerAndMode(host, entry);
        SetTimes(host, entry);
    }

    private static async Task WriteFileAsync(string host, TarEntry entry, CancellationToken ct)
    {
        // CreateNew: the name was just cleared, and O_EXCL never follows a symlink someone could have put there.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        await using var file = new FileStream(host, options);
        if (entry.DataStream is { } data) await data.CopyToAsync(file, ct).ConfigureAwait(false);
    }

    /// <summary>mkdir of the missing parents of <paramref name="target"/> (already resolved, so none is a symlink): 0755, root-owned.</summary>
    private void CreateParents(List<string> target, string entryName)
    {
        for (var depth = 1; depth < target.Count; depth++)
        {
            var host = root.HostPath(target[..depth]);
            if (Posix.TryLStat(host, out var st))
            {
                if (st.Type != Posix.FileStat.Directory)
                    throw Invalid($"cannot extract \"{entryName}\": {string.Join('/', target[..depth])} exists and is not a directory");
                continue;
            }
            Directory.CreateDirectory(host);
            Posix.LChown(host, 0, 0);
            Posix.Chmod(host, ImpliedDirectoryMode);
        }
    }

    /// <summary>What is at the entry's name goes, unless both it and the entry are directories (then they merge).</summary>
    private static void RemoveUnlessMerging(string host, bool entryIsDirectory)
    {
        if (!Posix.TryLStat(host, out var st)) return;
        if (st.Type == Posix.FileStat.Directory)
        {
            if (!entryIsDirectory) Directory.Delete(host, recursive: true); // removes symlinks inside, never what they point to
        }
        else
        {
            File.Delete(host);
        }
    }

    /// <summary>The resolved path of an existing non-directory a hard link entry points to (an earlier entry, or a file already in the destination).</summary>
    private List<string> ExistingLinkTarget(TarEntry entry)
    {
        var parts = ArchiveEntryPath.Clean(entry.LinkName, archiveName);
        if (parts.Count > 0)
        {
            var target = root.Resolve(parts, followLeaf: false, entry.Name);
            if (target.Count > 0 && Posix.TryLStat(root.HostPath(target), out var st) && st.Type != Posix.FileStat.Directory) return target;
        }
        throw Invalid($"hard link \"{entry.Name}\" points to \"{entry.LinkName}\", which is not a file extracted before it");
    }

    /// <summary>Owner first: chown clears setuid/setgid bits, so the mode is set after it.</summary>
    private void ApplyOwnerAndMode(string host, TarEntry entry)
    {
        Posix.LChown(host, Uid(entry), Gid(entry));
        Posix.Chmod(host, Permissions(entry));
    }

    private static void SetTimes(string host, TarEntry entry)
    {
        var (sec, nsec) = ModificationTime(entry);
        Posix.SetTimes(host, sec, nsec);
    }

    /// <summary>Seconds and nanoseconds since the epoch; times before it become the epoch, as BuildKit bounds them.</summary>
    private static (long Sec, long Nsec) ModificationTime(TarEntry entry)
    {
        var ticks = entry.ModificationTime.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        if (ticks < 0) return (0, 0);
        return (ticks / TimeSpan.TicksPerSecond, ticks % TimeSpan.TicksPerSecond * 100);
    }

    private static uint Permissions(TarEntry entry) => (uint)entry.Mode & 0xFFF; // rwx plus setuid, setgid, sticky

    private uint Uid(TarEntry entry) => ownership.Uid ?? Id(entry, entry.Uid);

    private uint Gid(TarEntry entry) => ownership.Gid ?? Id(entry, entry.Gid);

    private uint Id(TarEntry entry, int id) =>
        id >= 0 ? (uint)id : throw Invalid($"entry \"{entry.Name}\" has a negative owner id {id}");

    /// <summary>Sparse, multi-volume and other rare GNU types are refused, as BuildKit refuses them.</summary>
    private static bool IsExtractable(TarEntryType type) => type is TarEntryType.Directory or TarEntryType.RegularFile
        or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile or TarEntryType.SymbolicLink or TarEntryType.HardLink
        or TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo;

    private static uint FileTypeBits(TarEntryType type) => type switch
    {
        TarEntryType.CharacterDevice => Posix.FileStat.CharDevice,
        TarEntryType.BlockDevice => Posix.FileStat.BlockDevice,
        _ => Posix.FileStat.Fifo,
    };

    private SbuildException Invalid(string message) => new(ErrorCode.InvalidArchive, $"archive {archiveName}: {message}");
}
