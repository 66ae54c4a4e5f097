using Sbuild.Archive.Tar;
using Sbuild.Core;

namespace Sbuild.Engine;

/// <summary>
/// One run of <see cref="ArchiveExtractor.ExtractAsync"/>: the state that lives while one archive is unpacked. It reads
/// with the same <see cref="TarArchiveReader"/> as layer extraction, which refuses entry types ADD cannot create (sparse
/// files, GNU volume headers …) before anything at their name is touched.
/// </summary>
internal sealed class ArchiveExtraction(ExtractionRoot root, CopyOwnership ownership, string archiveName)
{
    private const uint ImpliedDirectoryMode = 0x1ED; // 0755 for parents the archive does not list, like Docker
    /// <summary>Directory times are set last, deepest last-listed first: creating children would change them again.</summary>
    private readonly List<(string HostPath, long Sec, long Nsec)> _directoryTimes = [];

    public async Task RunAsync(Stream tar, CancellationToken ct)
    {
        var reader = new TarArchiveReader(tar, archiveName);
        while (await reader.ReadNextAsync(ct).ConfigureAwait(false) is { } entry)
        {
            ct.ThrowIfCancellationRequested();
            var parts = CleanName(entry.Name);
            if (parts.Count == 0) continue; // "./" is the destination itself, which keeps its own metadata
            await CreateAsync(entry, reader.DataStream, parts, ct).ConfigureAwait(false);
        }
        for (var i = _directoryTimes.Count - 1; i >= 0; i--)
        {
            var (host, sec, nsec) = _directoryTimes[i];
            if (Posix.TryLStat(host, out var st) && st.Type == Posix.FileStat.Directory) Posix.SetTimes(host, sec, nsec);
        }
    }

    private async Task CreateAsync(TarHeader entry, Stream data, List<string> parts, CancellationToken ct)
    {
        var isDirectory = entry.Kind == TarEntryKind.Directory;
        var target = root.Resolve(parts, followLeaf: isDirectory, entry.Name);
        if (target.Count == 0) return; // a directory entry whose symlink leads back to the destination itself
        // A hard link's target is found before anything at the new name is removed: it may be that very file.
        var linkTarget = entry.Kind == TarEntryKind.HardLink ? ExistingLinkTarget(entry) : null;
        if (linkTarget is not null && linkTarget.SequenceEqual(target)) return;

        CreateParents(target, entry.Name);
        var host = root.HostPath(target);
        RemoveUnlessMerging(host, isDirectory);

        switch (entry.Kind)
        {
            case TarEntryKind.Directory:
                if (!Posix.TryLStat(host, out _)) Posix.MkDir(host, ImpliedDirectoryMode); // what is there is a directory: merged
                ApplyOwnerAndMode(host, entry);
                var (sec, nsec) = ModificationTime(entry);
                _directoryTimes.Add((host, sec, nsec));
                return;
            case TarEntryKind.File:
                await WriteFileAsync(host, data, ct).ConfigureAwait(false);
                break;
            case TarEntryKind.Symlink:
                if (entry.LinkName.Length == 0) throw Invalid($"symbolic link \"{EscapedNames.Shown(entry.Name)}\" has no target");
                Posix.Symlink(entry.LinkName, host);
                Posix.LChown(host, Uid(entry), Gid(entry));
                SetTimes(host, entry);
                return;
            case TarEntryKind.HardLink:
                var existing = root.HostPath(linkTarget!);
                Posix.Link(existing, host);
                Posix.LChown(host, Uid(entry), Gid(entry));
                if (Posix.LStat(host).Type == Posix.FileStat.Symlink) return; // a link to a symlink has no mode or time to set
                break;
            case TarEntryKind.CharDevice or TarEntryKind.BlockDevice or TarEntryKind.Fifo:
                Posix.MkNod(host, entry.Kind.MknodFileType() | entry.Mode, entry.DeviceMajor, entry.DeviceMinor);
                break;
        }
        ApplyOwnerAndMode(host, entry);
        SetTimes(host, entry);
    }

    private static async Task WriteFileAsync(string host, Stream data, CancellationToken ct)
    {
        // CreateNew: the name was just cleared, and O_EXCL never follows a symlink someone could have put there.
        await using var file = Posix.CreateNew(host, 0b110_000_000);
        await data.CopyToAsync(file, ct).ConfigureAwait(false);
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
                    throw Invalid($"cannot extract \"{EscapedNames.Shown(entryName)}\": {EscapedNames.Shown(string.Join('/', target[..depth]))} exists and is not a directory");
                continue;
            }
            Posix.MkDir(host, ImpliedDirectoryMode);
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
            if (!entryIsDirectory) TreeRemover.Delete(host); // removes symlinks inside, never what they point to
        }
        else
        {
            Posix.Unlink(host);
        }
    }

    /// <summary>The resolved path of an existing non-directory a hard link entry points to (an earlier entry, or a file already in the destination).</summary>
    private List<string> ExistingLinkTarget(TarHeader entry)
    {
        var parts = CleanName(entry.LinkName);
        if (parts.Count > 0)
        {
            var target = root.Resolve(parts, followLeaf: false, entry.Name);
            if (target.Count > 0 && Posix.TryLStat(root.HostPath(target), out var st) && st.Type != Posix.FileStat.Directory) return target;
        }
        throw Invalid($"hard link \"{EscapedNames.Shown(entry.Name)}\" points to \"{EscapedNames.Shown(entry.LinkName)}\", which is not a file extracted before it");
    }

    /// <summary>Owner first: chown clears setuid/setgid bits, so the mode is set after it.</summary>
    private void ApplyOwnerAndMode(string host, TarHeader entry)
    {
        Posix.LChown(host, Uid(entry), Gid(entry));
        Posix.Chmod(host, entry.Mode); // rwx plus setuid, setgid, sticky
    }

    private static void SetTimes(string host, TarHeader entry)
    {
        var (sec, nsec) = ModificationTime(entry);
        Posix.SetTimes(host, sec, nsec);
    }

    /// <summary>Seconds and nanoseconds since the epoch; times before it become the epoch, as BuildKit bounds them.</summary>
    private static (long Sec, long Nsec) ModificationTime(TarHeader entry) =>
        entry.ModificationTime < 0 ? (0, 0) : (entry.ModificationTime, entry.ModificationTimeNanoseconds);

    private uint Uid(TarHeader entry) => ownership.Uid ?? Id(entry, entry.Uid);

    private uint Gid(TarHeader entry) => ownership.Gid ?? Id(entry, entry.Gid);

    private uint Id(TarHeader entry, long id) =>
        id is >= 0 and <= uint.MaxValue ? (uint)id : throw Invalid($"entry \"{EscapedNames.Shown(entry.Name)}\" has owner id {id}, which is out of range");

    /// <summary>The cleaned parts of an entry or link name; one that climbs above the destination is refused, as Docker refuses it.</summary>
    private List<string> CleanName(string name) =>
        TarEntryName.Clean(name) ?? throw Invalid($"entry \"{name}\" points outside the destination directory");

    private SbuildException Invalid(string message) => new(ErrorCode.InvalidArchive, $"archive {archiveName}: {message}");
}
