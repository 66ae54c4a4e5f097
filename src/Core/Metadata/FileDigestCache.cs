namespace Sbuild.Core.Metadata;

/// <summary>
/// The context stat cache over <see cref="StoreDatabase"/>'s <c>file_digests</c>: a file whose (device, inode, size,
/// mtime, ctime, mode) match a stored row gets that row's content digest without being read. It never answers with a
/// stale digest: ctime is in the key and no user call can set it, and an entry is only recorded (or used) when both the
/// file's mtime and ctime are older than the racy window before the computation started (git's "racy" rule: a file
/// changed again within the file system's timestamp granularity could keep all its stat fields; see <see cref="IsRacy"/>).
/// </summary>
public sealed class FileDigestCache(StoreDatabase database, TimeProvider? clock = null)
{
    /// <summary>The racy window where file times have whole seconds (FAT keeps even ones): a ctime with no nanoseconds.</summary>
    public static readonly TimeSpan CoarseRacyWindow = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The racy window where file times have nanoseconds (ext4, xfs, btrfs, tmpfs, overlayfs): the kernel stamps files
    /// from its coarse clock, which lags the real time by at most one timer tick (10 ms at the slowest tick rate, 100 Hz),
    /// so a file changed after the computation started gets a time inside this window or later.
    /// </summary>
    public static readonly TimeSpan FineRacyWindow = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Whether a file with <paramref name="id"/> may still change without its stat showing it, for a computation that
    /// started at <paramref name="startNs"/> (Unix nanoseconds): its mtime or ctime is within the window before that.
    /// The window follows the file system's granularity, told by the ctime (which only the kernel sets): with whole
    /// seconds <see cref="CoarseRacyWindow"/>, else <see cref="FineRacyWindow"/>.
    /// </summary>
    public static bool IsRacy(FileIdentity id, long startNs)
    {
        var window = id.CTimeNs % 1_000_000_000 == 0 ? CoarseRacyWindow : FineRacyWindow;
        var racyFromNs = startNs - window.Ticks * (1_000_000_000 / TimeSpan.TicksPerSecond);
        return id.MTimeNs >= racyFromNs || id.CTimeNs >= racyFromNs;
    }

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

    /// <summary>Starts one computation under <paramref name="root"/>: its start, for the racy rule, is now, before any file is examined.</summary>
    public Session Begin(string root) => new(this, Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)),
        (_clock.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * (1_000_000_000 / TimeSpan.TicksPerSecond));

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
        private readonly long _startNs;
        private readonly List<FileDigestRecord> _pending = [];
        private readonly CancellationTokenSource _stopReading = new();
        private Task<Dictionary<string, FileDigestRecord>>? _allRows;

        internal Session(FileDigestCache owner, string root, long startNs) => (_owner, _root, _startNs) = (owner, root, startNs);

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

        private bool IsRacy(FileIdentity id) => FileDigestCache.IsRacy(id, _startNs);
    }
}
