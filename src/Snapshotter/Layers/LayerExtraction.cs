using Sbuild.Archive.Tar;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>One run of <see cref="LayerApplier.ApplyAsync"/>: the state that lives as long as one layer is extracted.</summary>
internal sealed class LayerExtraction(string root, WhiteoutHandling whiteouts)
{
    private const uint DefaultDirMode = 0b111_101_101; // 0755 for parents the archive does not list
    private const uint NewFileMode = 0b110_000_000; // 0600 until the entry's own mode is applied
    private static readonly byte[] OpaqueValue = "y"u8.ToArray();

    /// <summary>Paths this layer created or passed through; whiteouts only hide what lower layers had, never these.</summary>
    private readonly HashSet<string> _fromThisLayer = new(StringComparer.Ordinal);
    /// <summary>Paths known to be real directories (not symlinks); cleared whenever something is deleted.</summary>
    private readonly HashSet<string> _realDirs = new(StringComparer.Ordinal) { "" };
    /// <summary>Directory times are set last: creating their children would change them again.</summary>
    private readonly List<(string HostPath, long Sec, int Nsec)> _dirTimes = [];
    /// <summary>The root, read by paths that fit PATH_MAX however deep the layer's entries go.</summary>
    private AliasedTree _tree = null!;

    public async Task RunAsync(Stream layer, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(root);
        using var tree = _tree = AliasedTree.AtPath(root);
        var reader = new TarArchiveReader(layer);
        while (await reader.ReadNextAsync(cancellationToken).ConfigureAwait(false) is { } header)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var relative = ArchivePath.Normalize(header.Name);
            if (relative.Length == 0) continue; // the root itself belongs to the snapshot, not to a layer
            var (parent, name) = ArchivePath.Split(relative);
            if (name.StartsWith(OciWhiteouts.Prefix, StringComparison.Ordinal)) ApplyWhiteout(parent, name);
            else await CreateAsync(relative, Path.Combine(EnsureDirectory(parent), name), header, reader, cancellationToken).ConfigureAwait(false);
        }
        foreach (var (hostPath, sec, nsec) in _dirTimes)
            if (Posix.TryLStat(hostPath, out var st) && st.Type == Posix.FileStat.Directory) Posix.SetTimes(hostPath, sec, nsec);
    }

    private async Task CreateAsync(string relative, string host, TarHeader header, TarArchiveReader reader, CancellationToken cancellationToken)
    {
        switch (header.Kind)
        {
            case TarEntryKind.Directory:
                if (!IsRealDirectory(host))
                {
                    RemoveExisting(host);
                    Posix.MkDir(host, DefaultDirMode);
                }
                _realDirs.Add(relative);
                break;
            case TarEntryKind.File:
                RemoveExisting(host);
                await using (var file = Posix.CreateNew(host, NewFileMode))
                    await reader.DataStream.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                break;
            case TarEntryKind.Symlink:
                if (header.LinkName.Length == 0) throw Invalid($"symlink \"{EscapedNames.Shown(header.Name)}\" has no target");
                RemoveExisting(host);
                Posix.Symlink(header.LinkName, host);
                break;
            case TarEntryKind.HardLink:
                var target = ExistingFileForLink(header);
                if (target != host)
                {
                    RemoveExisting(host);
                    Posix.Link(target, host);
                }
                _fromThisLayer.Add(relative);
                return; // a hard link shares its target's inode, metadata included
            case TarEntryKind.CharDevice or TarEntryKind.BlockDevice or TarEntryKind.Fifo:
                RemoveExisting(host);
                Posix.MkNod(host, header.Kind.MknodFileType() | header.Mode, header.DeviceMajor, header.DeviceMinor);
                break;
        }
        ApplyMetadata(host, header);
        _fromThisLayer.Add(relative);
    }

    /// <summary>
    /// Owner first (chown clears setuid bits), then mode, then xattrs (chown also drops security.capability), then time,
    /// to the nanosecond as containerd applies it.
    /// </summary>
    private void ApplyMetadata(string host, TarHeader header)
    {
        Posix.LChown(host, Id(header.Uid, header), Id(header.Gid, header));
        if (header.Kind != TarEntryKind.Symlink) Posix.Chmod(host, header.Mode);
        foreach (var (name, value) in header.Xattrs)
            if (!name.StartsWith(OciWhiteouts.OverlayXattrPrefix, StringComparison.Ordinal)) // a layer must not forge overlay metadata
                Xattrs.Set(host, name, value);
        if (header.Kind == TarEntryKind.Directory) _dirTimes.Add((host, header.ModificationTime, header.ModificationTimeNanoseconds));
        else Posix.SetTimes(host, header.ModificationTime, header.ModificationTimeNanoseconds);
    }

    private void ApplyWhiteout(string parent, string name)
    {
        if (name == OciWhiteouts.OpaqueMarker) HideLowerContent(parent);
        else if (!name.StartsWith(OciWhiteouts.MetaPrefix, StringComparison.Ordinal)) Delete(ArchivePath.Join(parent, name[OciWhiteouts.Prefix.Length..]));
    }

    private void Delete(string relative)
    {
        if (_fromThisLayer.Contains(relative)) return; // a whiteout never hides its own layer's files
        var (parent, name) = ArchivePath.Split(relative);
        if (whiteouts == WhiteoutHandling.OverlayMarkers)
        {
            var host = Path.Combine(EnsureDirectory(parent), name);
            RemoveExisting(host);
            Posix.MkNod(host, Posix.FileStat.CharDevice, 0, 0);
        }
        else if (TryFindRealDirectory(parent, out var parentHost))
        {
            RemoveExisting(Path.Combine(parentHost, name));
        }
    }

    private void HideLowerContent(string dir)
    {
        if (whiteouts == WhiteoutHandling.OverlayMarkers) Xattrs.Set(EnsureDirectory(dir), OciWhiteouts.OverlayOpaqueXattr, OpaqueValue);
        else if (TryFindRealDirectory(dir, out var host)) RemoveLowerEntries(dir, host);
    }

    /// <summary>Deletes what lower layers put below <paramref name="dir"/>, keeping this layer's entries (and descending into its directories).</summary>
    private void RemoveLowerEntries(string dir, string host)
    {
        foreach (var childName in DirectoryListing.Names(host))
        {
            var childHost = Path.Combine(host, childName);
            var child = ArchivePath.Join(dir, childName);
            if (!_fromThisLayer.Contains(child)) RemoveExisting(childHost);
            else if (IsRealDirectory(childHost)) RemoveLowerEntries(child, childHost);
        }
    }

    /// <summary>
    /// The host path of directory <paramref name="relative"/>, creating missing parts and replacing anything that is not
    /// a real directory (a symlink there would otherwise lead the extraction out of the root).
    /// </summary>
    private string EnsureDirectory(string relative)
    {
        if (_realDirs.Contains(relative)) return _tree.DirectoryPath(relative);
        var current = "";
        foreach (var part in relative.Split('/'))
        {
            current = ArchivePath.Join(current, part);
            _fromThisLayer.Add(current);
            if (_realDirs.Contains(current)) continue;
            var currentHost = _tree.HostPath(current);
            if (!IsRealDirectory(currentHost))
            {
                RemoveExisting(currentHost);
                Posix.MkDir(currentHost, DefaultDirMode);
                Posix.Chmod(currentHost, DefaultDirMode);
            }
            _realDirs.Add(current);
        }
        return _tree.DirectoryPath(relative);
    }

    /// <summary>Finds an existing directory without creating or following anything; false if any part is missing or not a directory.</summary>
    private bool TryFindRealDirectory(string relative, out string host)
    {
        host = _tree.Root;
        if (relative.Length == 0) return true;
        var current = "";
        foreach (var part in relative.Split('/'))
        {
            current = ArchivePath.Join(current, part);
            host = _tree.HostPath(current);
            if (!IsRealDirectory(host)) return false;
        }
        host = _tree.DirectoryPath(relative);
        return true;
    }

    /// <summary>The host path a hard link entry points to: an existing non-directory reached through real directories only.</summary>
    private string ExistingFileForLink(TarHeader header)
    {
        var (parent, name) = ArchivePath.Split(ArchivePath.Normalize(header.LinkName));
        if (name.Length > 0 && TryFindRealDirectory(parent, out var parentHost))
        {
            var target = Path.Combine(parentHost, name);
            if (Posix.TryLStat(target, out var st) && st.Type != Posix.FileStat.Directory) return target;
        }
        throw Invalid($"hard link \"{EscapedNames.Shown(header.Name)}\" points to \"{EscapedNames.Shown(header.LinkName)}\", which is not a file extracted before it");
    }

    private void RemoveExisting(string host)
    {
        if (!Posix.TryLStat(host, out var st)) return;
        if (st.Type == Posix.FileStat.Directory)
        {
            TreeRemover.Delete(host); // removes symlinks inside, never what they point to
            _realDirs.Clear();
            _realDirs.Add("");
            _tree.Forget();
        }
        else
        {
            Posix.Unlink(host);
        }
    }

    private static bool IsRealDirectory(string host) => Posix.TryLStat(host, out var st) && st.Type == Posix.FileStat.Directory;

    private static uint Id(long id, TarHeader header) =>
        id is >= 0 and <= uint.MaxValue ? (uint)id : throw Invalid($"entry \"{EscapedNames.Shown(header.Name)}\" has owner id {id}, which is out of range");

    private static SbuildException Invalid(string message) => new(ErrorCode.InvalidArchive, message);
}
