using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sbuild.Core;
using Sbuild.Core.Metadata;
using Sbuild.Parser;

namespace Sbuild.Engine;

/// <summary>
/// Content checksum of the files a COPY reads, so its cache key changes exactly when they do: paths, types, modes,
/// link targets, device numbers, hard links within one copied source (COPY keeps those as links) and file contents
/// count; times do not (BuildKit's checksums ignore mtimes too), nor does ownership unless <c>includeOwnership</c>
/// (COPY resets the owners of context files but keeps those of another stage's), nor do xattrs (BuildKit's COPY of
/// the context drops them, and so does sbuild's).
/// </summary>
/// <remarks>
/// Three phases: walk the selected tree in its fixed order, noting each regular file; find the files' content
/// digests (from the stat cache when one is given and the file's stat still matches, else by reading them, several
/// at once); then hash the walk's records with the digests in walk order. The combined format is the one cache keys
/// on disk were made with: do not change it.
/// </remarks>
public static class ContextChecksum
{
    /// <param name="listing">When given, receives a record of every selected entry (for cache-miss explanations).</param>
    public static Digest Compute(string contextDir, CopySelection selection, DockerIgnore? ignore = null, FileDigestCache? statCache = null,
        bool includeOwnership = false, List<Explain.FileRecord>? listing = null, CancellationToken ct = default)
    {
        var (checksum, listed) = ComputeListed(contextDir, selection, ignore, statCache, includeOwnership, ct);
        listing?.AddRange(listed.Records());
        return checksum;
    }

    /// <summary>The checksum, and what it covered as a <see cref="ContextListing"/> whose records are made only if asked
    /// for (a cache miss): one walk serves both.</summary>
    public static (Digest Checksum, ContextListing Listing) ComputeListed(string contextDir, CopySelection selection, DockerIgnore? ignore,
        FileDigestCache? statCache, bool includeOwnership, CancellationToken ct)
    {
        ignore ??= DockerIgnore.Empty;
        using var session = statCache?.Begin(contextDir);
        using var walk = new Walk { Session = session };
        foreach (var copy in selection.Roots())
        {
            walk.Text(CopySelection.Describe(copy));
            if (copy.Required is { } required) SourceMatcher.Expand(contextDir, required, ignore); // throws when it is not there
            foreach (var (relative, host) in SourceMatcher.Expand(contextDir, copy.Path, ignore))
                AppendTree(walk, new TreeEntry(host, relative, ""), copy.Filter, ignore, includeOwnership, new HardLinks(), ct);
        }

        var digests = FileDigests(walk.Files, contextDir, session, ct);
        session?.Commit();
        using var hash = Sha256.Create(walk.Length + 32L * digests.Length);
        walk.HashInto(hash, digests);
        return (Digest.FromSha256Bytes(hash.GetHash()), new ContextListing(walk.Entries, digests, includeOwnership));
    }

    /// <summary>
    /// The walk's output: its text records as UTF-8 bytes in one buffer, and for each regular file the offset in it
    /// where the file's content digest goes (known only later). Records are written straight into the buffer: a
    /// context of many files makes no string per record.
    /// </summary>
    private sealed class Walk : IDisposable
    {
        // Rented rather than an ArrayBufferWriter's: a big context's records run to megabytes, and a pooled array is
        // neither cleared when it is made nor left to the GC each time it doubles.
        private byte[] _text = ArrayPool<byte>.Shared.Rent(1 << 16);
        private int _written;
        private readonly List<int> _fileOffsets = [];
        public readonly List<(string Host, Posix.FileStat Stat)> Files = [];
        /// <summary>Every entry walked, in order: what <see cref="ContextListing"/> lists.</summary>
        public readonly List<ContextListing.Entry> Entries = [];

        /// <summary>Lists an entry; called right before <see cref="File"/> for a regular file, whose digest comes last.
        /// <paramref name="hardLinkTo"/>: the path this one is a second link of (no content of its own in the key).</summary>
        public void List(string relative, Posix.FileStat st, string? target, string? hardLinkTo = null)
        {
            var regular = st.Type == Posix.FileStat.Regular && hardLinkTo is null;
            Entries.Add(new ContextListing.Entry(relative, st.Type, st.Permissions, regular ? st.Size : 0, st.Uid, st.Gid, hardLinkTo ?? target,
                hardLinkTo is not null, regular ? Files.Count : -1));
        }

        /// <summary>Appends <paramref name="text"/>'s bytes: a name's own, UTF-8 or not (<see cref="EscapedNames"/>).</summary>
        public void Text(ReadOnlySpan<char> text)
        {
            if (EscapedNames.HasEscapes(text))
            {
                var bytes = EscapedNames.Encode(new string(text));
                Reserve(bytes.Length);
                bytes.CopyTo(_text.AsSpan(_written));
                _written += bytes.Length;
                return;
            }
            Reserve(Encoding.UTF8.GetMaxByteCount(text.Length));
            _written += Encoding.UTF8.GetBytes(text, _text.AsSpan(_written));
        }

        private void Reserve(int count)
        {
            if (_text.Length - _written >= count) return;
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_text.Length * 2, _written + count));
            _text.AsSpan(0, _written).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_text);
            _text = larger;
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(_text);

        /// <summary>How many bytes of records the walk has written.</summary>
        public int Length => _written;

        /// <summary>An entry's record: <c>RELATIVE\0TYPE(hex)\0PERMISSIONS(octal)\0</c>.</summary>
        public void Entry(string relative, Posix.FileStat st)
        {
            Text(relative);
            Span<char> fields = stackalloc char[32];
            var n = 0;
            fields[n++] = '\0';
            st.Type.TryFormat(fields[n..], out var written, "x", CultureInfo.InvariantCulture);
            n += written;
            fields[n++] = '\0';
            n += Octal(st.Permissions, fields[n..]);
            fields[n++] = '\0';
            Text(fields[..n]);
        }

        /// <summary>The stat cache's session, told when the walk has found enough files to read all of its rows.</summary>
        public FileDigestCache.Session? Session { get; init; }

        public void File(string host, Posix.FileStat stat)
        {
            _fileOffsets.Add(_written);
            Files.Add((host, stat));
            if (Files.Count == FileDigestCache.Session.WholeRootLookup) Session?.ReadAllRowsInBackground();
        }

        /// <summary>The records with each file's digest in its place: the same bytes as hashing them one by one.</summary>
        public void HashInto(Sha256 hash, byte[][] digests)
        {
            var text = _text.AsSpan(0, _written);
            var start = 0;
            for (var i = 0; i < digests.Length; i++)
            {
                hash.AppendData(text[start.._fileOffsets[i]]);
                hash.AppendData(digests[i]);
                start = _fileOffsets[i];
            }
            hash.AppendData(text[start..]);
        }

        /// <summary>Convert.ToString(value, 8) without the string.</summary>
        private static int Octal(uint value, Span<char> destination)
        {
            var digits = 1;
            for (var rest = value >> 3; rest != 0; rest >>= 3) digits++;
            for (var i = digits - 1; i >= 0; i--, value >>= 3) destination[i] = (char)('0' + (value & 7));
            return digits;
        }
    }

    /// <summary>An entry of the walk: host path, path below the source root (for .dockerignore), path below the copied
    /// source (for the copy's own patterns; "" is the source itself, which they never leave out).</summary>
    private readonly record struct TreeEntry(string Host, string Relative, string Below);

    /// <summary>The first path seen of each multiply linked inode in one copied source (FileCopier links the others to it).</summary>
    private sealed class HardLinks : Dictionary<(ulong Device, ulong Inode), string>;

    private static void AppendTree(Walk walk, TreeEntry entry, CopyFilter filter, DockerIgnore ignore, bool includeOwnership, HardLinks links,
        CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested(); // a context of millions of files: SIGINT must not wait for the whole walk
        if (!Posix.TryLStat(entry.Host, out var st)) return;
        var copied = entry.Below.Length == 0 || filter.Copies(entry.Below);
        if (st.Type == Posix.FileStat.Directory ? !copied && !filter.Enters(entry.Below) : !copied) return;
        // A directory walked only for what lies below it is in the record too: over-keying is safe, under-keying is not.
        walk.Entry(entry.Relative, st);
        if (includeOwnership) walk.Text($"{st.Uid}:{st.Gid}\0");
        // Only entries with more than one link add a record, so keys of trees without hard links keep their format.
        if (st.Type != Posix.FileStat.Directory && st.Links > 1 && !links.TryAdd((st.Device, st.Inode), entry.Relative))
        {
            walk.List(entry.Relative, st, null, links[(st.Device, st.Inode)]);
            walk.Text($"link\0{links[(st.Device, st.Inode)]}\0\n");
            return;
        }
        walk.List(entry.Relative, st, st.Type == Posix.FileStat.Symlink ? Posix.ReadLink(entry.Host) : null);
        switch (st.Type)
        {
            case Posix.FileStat.CharDevice or Posix.FileStat.BlockDevice:
                walk.Text($"{st.Major},{st.Minor}\0");
                break;
            case Posix.FileStat.Regular:
                walk.File(entry.Host, st);
                break;
            case Posix.FileStat.Symlink:
                walk.Text(Posix.ReadLink(entry.Host));
                break;
            case Posix.FileStat.Directory:
                foreach (var name in DirectoryListing.Names(entry.Host).Order(StringComparer.Ordinal))
                {
                    var child = Path.Combine(entry.Host, name);
                    var childRelative = SourceMatcher.Join(entry.Relative, name);
                    if (ignore.ExcludesEntry(childRelative, child)) continue;
                    AppendTree(walk, new TreeEntry(child, childRelative, SourceMatcher.Join(entry.Below, name)), filter, ignore, includeOwnership, links, ct);
                }
                break;
        }
        walk.Text("\n");
    }

    /// <summary>The raw sha256 of each file's content: from the stat cache where it still matches, else read (in parallel).</summary>
    private static byte[][] FileDigests(List<(string Host, Posix.FileStat Stat)> files, string contextDir, FileDigestCache.Session? session,
        CancellationToken ct)
    {
        var digests = new byte[files.Count][];
        var keys = session is null ? null : files.Select(f => Path.GetRelativePath(contextDir, f.Host)).ToList();
        var identities = session is null ? null : files.Select(f => FileIdentity.Of(f.Stat)).ToList();
        var stored = session?.Lookup(keys!, identities!);
        var toRead = new List<int>();
        for (var i = 0; i < files.Count; i++)
        {
            var hash = new byte[32];
            if (stored?[i] is { } known && Digest.TryParseSha256Bytes(known, hash)) digests[i] = hash;
            else toRead.Add(i);
        }

        ParallelWork.ForEach(toRead, i =>
        {
            var host = files[i].Host;
            digests[i] = HashFile(host, ct);
            if (session is null) return;
            FileIdentity? after = Posix.TryLStat(host, out var now) ? FileIdentity.Of(now) : null;
            session.Hashed(keys![i], identities![i], after, Digest.FromSha256Bytes(digests[i]).ToString());
        }, ct);
        return digests;
    }

    /// <summary>sha256 of a file's content through a pooled buffer (thousands of small files: no buffer per file).</summary>
    /// <remarks>Checks <paramref name="ct"/> between reads: one file of many gigabytes must not hold up a cancelled build.</remarks>
    private static byte[] HashFile(string path, CancellationToken ct)
    {
        using var handle = Posix.OpenReadHandle(path);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long offset = 0;
            int read;
            while ((read = RandomAccess.Read(handle, buffer, offset)) > 0)
            {
                ct.ThrowIfCancellationRequested();
                hash.AppendData(buffer, 0, read);
                offset += read;
            }
            return hash.GetHashAndReset();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
