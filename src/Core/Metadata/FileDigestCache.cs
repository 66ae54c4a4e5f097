namespace Sbuild.Core.Metadata;

/// <summary>
/// The context stat cache over <see cref="StoreDatabase"/>'s <c>file_digests</c>: a file whose (device, inode, size,
/// mtime, ctime, mode) match a stored row gets that row's content digest without being read. It never answers with a
/// stale digest: ctime is in the key and no user call can set it, and an entry is only recorded when both the file's
/// mtime and ctime are older than <see cref="RacyWindow"/> before the computation started (git's "racy" rule: a file
/// changed again within the file system's timestamp granularity could keep all its stat fields).
/// </summary>
public sealed class FileDigestCache(StoreDatabase database, TimeProvider? clock = null)
{
    /// <summary>Files whose mtime or ctime is this close to (or after) the start of the computation are not recorded.</summary>
    public static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private long _hits, _hashed, _recorded;

    public StoreDatabase Database { get; } = database;

    /// <summary>Files answered from the database.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Files that had to be read.</summary>
    public long Hashed => Interlocked.Read(ref _hashed);

    /// <summary>Rows written (files whose stat was stable and old enough).</summary>
    public long Recorded => Interlocked.Read(ref _recorded);

    /// <summary>
    /// The stat cache for a build context, or null when there is no database or the context is a temporary one inside
    /// the store (a context read from standard input is extracted there and removed after the build; its rows could
    /// only pile up).
    /// </summary>
    public static FileDigestCache? ForContext(StoreDatabase? database, string contextDir)
    {
        if (database is null) return null;
        var storeRoot = Path.GetDirectoryName(database.Path)!;
        var relative = Path.GetRelativePath(storeRoot, Path.GetFullPath(contextDir));
        return relative == "." || !(relative == ".." || relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative))
            ? null
            : new FileDigestCache(database);
    }

    /// <summary>Starts one computation under <paramref name="root"/>: its racy threshold is taken now, before any file is examined.</summary>
    public Session Begin(string root) => new(this, Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)),
        (_clock.GetUtcNow() - RacyWindow).ToUnixTimeMilliseconds() * 1_000_000);

    /// <summary>
    /// One computation: look everything up at once, hash what missed, record the stable results in one transaction.
    /// A walk that finds many files asks for the root's rows to be read on another thread while it goes on
    /// (<see cref="ReadAllRowsInBackground"/>), so that a COPY of a whole context finds them all in memory when the walk
    /// ends; a lookup of a few files asks for its own rows.
    /// </summary>
    public sealed class Session : IDisposable
    {
        /// <summary>From this many files on, the root's rows are read all at once instead of a query each.</summary>
        public const int WholeRootLookup = 256;

        private readonly FileDigestCache _owner;
        private readonly string _root;
        private readonly long _racyFromNs;
        private readonly List<FileDigestRecord> _pending = [];
        private readonly CancellationTokenSource _stopReading = new();
        private Task<Dictionary<string, FileDigestRecord>>? _allRows;

        internal Session(FileDigestCache owner, string root, long racyFromNs) => (_owner, _root, _racyFromNs) = (owner, root, racyFromNs);

        /// <summary>Starts reading all of the root's rows on another thread (once): the walk has passed
        /// <see cref="WholeRootLookup"/> files. Not started for small walks, which would only pay for the thread.</summary>
        public void ReadAllRowsInBackground() =>
            _allRows ??= Task.Run(() => _owner.Database.ListFileDigests(_root, _stopReading.Token));

        /// <summary>The stored digest of each file whose identity still matches (null: read it).</summary>
        public string?[] Lookup(IReadOnlyList<string> paths, IReadOnlyList<FileIdentity> identities)
        {
            IReadOnlyList<FileDigestRecord?> rows;
            if (paths.Count >= WholeRootLookup)
            {
                ReadAllRowsInBackground();
                var all = _allRows!.GetAwaiter().GetResult();
                rows = paths.Select(path => all.TryGetValue(path, out var row) ? row : (FileDigestRecord?)null).ToList();
            }
            else
            {
                _stopReading.Cancel();
                rows = _owner.Database.GetFileDigests(_root, paths);
            }
            var digests = new string?[paths.Count];
            var hits = 0;
            for (var i = 0; i < rows.Count; i++)
                if (rows[i] is { } row && row.Identity == identities[i] && !IsRacy(row.Identity))
                {
                    digests[i] = row.Digest;
                    hits++;
                }
            Interlocked.Add(ref _owner._hits, hits);
            return digests;
        }

        /// <summary>
        /// Notes the digest of a file that was read: <paramref name="before"/> is its stat before the read, <paramref name="after"/> after.
        /// Recorded only when they agree (nothing changed it while it was read) and it is not racy. Thread-safe.
        /// </summary>
        public void Hashed(string path, FileIdentity before, FileIdentity? after, string digest)
        {
            Interlocked.Increment(ref _owner._hashed);
            if (after != before || IsRacy(before)) return;
            lock (_pending) _pending.Add(new FileDigestRecord(path, before, digest));
        }

        /// <summary>Stops the read of the root's rows if nothing asked for them (the walk failed).</summary>
        public void Dispose() => _stopReading.Cancel();

        /// <summary>Writes the noted rows, in one transaction.</summary>
        public void Commit()
        {
            _stopReading.Cancel();
            lock (_pending)
            {
                _owner.Database.PutFileDigests(_root, _pending);
                Interlocked.Add(ref _owner._recorded, _pending.Count);
                _pending.Clear();
            }
        }

        private bool IsRacy(FileIdentity id) => id.MTimeNs >= _racyFromNs || id.CTimeNs >= _racyFromNs;
    }
}
