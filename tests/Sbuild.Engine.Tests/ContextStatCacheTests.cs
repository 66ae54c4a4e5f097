using System.Text;
using Sbuild.Core;
using Sbuild.Core.Metadata;
using Sbuild.TestSupport;

namespace Sbuild.Engine.Tests;

/// <summary>A clock the test sets.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>
/// The persistent stat cache of context checksums: a file whose stat still matches is not read again, and no change
/// of content can ever come back with the old digest.
/// </summary>
public sealed class ContextStatCacheTests : IDisposable
{
    private readonly TempDirectory _store = new("sbuild-statcache-store-");
    private readonly TempDirectory _context = new("sbuild-statcache-ctx-");
    private readonly StoreDatabase _db;

    public ContextStatCacheTests() => _db = StoreDatabase.Open(_store.Path);

    public void Dispose()
    {
        _db.Dispose();
        _store.Dispose();
        _context.Dispose();
    }

    /// <summary>A cache whose clock says every file of the test is long settled, so entries get recorded.</summary>
    private FileDigestCache Settled() => new(_db, new FixedClock(DateTimeOffset.UtcNow.AddHours(1)));

    /// <summary>A cache on the real clock.</summary>
    private FileDigestCache Live() => new(_db);

    /// <summary>A cache whose computation starts <paramref name="after"/> the ctime of <paramref name="relative"/>.</summary>
    private FileDigestCache StartingAfterChangeOf(string relative, TimeSpan after)
    {
        var ctime = FileIdentity.Of(Posix.LStat(Path.Combine(_context.Path, relative))).CTimeNs;
        return new(_db, new FixedClock(DateTimeOffset.UnixEpoch.AddTicks(ctime / 100) + after));
    }

    private Digest Compute(FileDigestCache? cache, params string[] sources) =>
        ContextChecksum.Compute(_context.Path, new CopySelection(sources.Length == 0 ? FixedContextTree.Sources : sources), FixedContextTree.Ignore, cache);

    private void Write(string relative, string content) => File.WriteAllText(Path.Combine(_context.Path, relative), content);

    [Fact]
    public void With_the_cache_cold_and_warm_the_checksum_is_the_one_without_it()
    {
        FixedContextTree.Populate(_context.Path);

        var cold = Settled();
        Assert.Equal(FixedContextTree.Expected, Compute(cold).ToString());
        var warm = Settled();
        Assert.Equal(FixedContextTree.Expected, Compute(warm).ToString());
        Assert.Equal(FixedContextTree.Expected, Compute(null).ToString());

        Assert.Equal((0, 58, 58), (cold.Hits, cold.Hashed, cold.Recorded)); // 58 regular files selected, skip.log ignored
        Assert.Equal((58, 0, 0), (warm.Hits, warm.Hashed, warm.Recorded));
        Assert.Equal(58, _db.CountFileDigests(_context.Path));
    }

    [Fact]
    public void A_hit_takes_the_stored_digest_without_reading_the_file()
    {
        Write("a.txt", "real content");
        Compute(Settled(), "a.txt");
        var row = _db.GetFileDigests(_context.Path, ["a.txt"])[0]!.Value;
        Assert.Equal(Digest.Of(Encoding.UTF8.GetBytes("real content")).ToString(), row.Digest);

        // A planted row with the file's identity but another digest: used as is, which shows the file was not read.
        _db.PutFileDigests(_context.Path, [row with { Digest = Digest.Of("planted"u8).ToString() }]);
        var cache = Settled();
        var planted = Compute(cache, "a.txt");

        Assert.Equal((1, 0), (cache.Hits, cache.Hashed));
        Assert.NotEqual(Compute(null, "a.txt"), planted);
    }

    [Fact]
    public void New_content_with_the_same_size_and_mtime_gives_the_new_digest()
    {
        Write("a.txt", "version-1");
        var path = Path.Combine(_context.Path, "a.txt");
        var before = Posix.LStat(path);
        var cache = Settled();
        var first = Compute(cache, "a.txt");
        Assert.Equal(1, cache.Recorded);

        Thread.Sleep(20); // let the file system's clock tick past the first write's ctime
        Write("a.txt", "version-2"); // same size, same inode
        Posix.SetTimes(path, before.MTimeSec, before.MTimeNsec);
        var after = Posix.LStat(path);
        Assert.Equal((before.Size, before.MTimeNs, before.Inode), (after.Size, after.MTimeNs, after.Inode));

        var again = Settled();
        var second = Compute(again, "a.txt");

        Assert.NotEqual(first, second);
        Assert.Equal(Compute(null, "a.txt"), second);
        Assert.Equal((0, 1), (again.Hits, again.Hashed));
    }

    [Fact]
    public void A_copy_of_many_files_reads_all_rows_at_once_and_still_sees_new_content_with_the_same_stat()
    {
        // 300 files: enough for the lookup to take the root's rows read beside the walk instead of a query per file.
        Directory.CreateDirectory(Path.Combine(_context.Path, "many"));
        for (var i = 0; i < 300; i++) Write($"many/f{i:D3}", $"content {i:D3}");
        var cold = Settled();
        var first = Compute(cold, "many");
        Assert.Equal((0, 300, 300), (cold.Hits, cold.Hashed, cold.Recorded));

        var path = Path.Combine(_context.Path, "many/f123");
        var before = Posix.LStat(path);
        Thread.Sleep(20); // let the file system's clock tick past the first write's ctime
        Write("many/f123", "content XXX"); // same size, same inode, mtime put back
        Posix.SetTimes(path, before.MTimeSec, before.MTimeNsec);

        var warm = Settled();
        var second = Compute(warm, "many");

        Assert.Equal((299, 1), (warm.Hits, warm.Hashed));
        Assert.NotEqual(first, second);
        Assert.Equal(Compute(null, "many"), second);
    }

    [Fact]
    public void A_file_written_in_the_moment_of_recording_is_racy_and_not_trusted()
    {
        Write("a.txt", "version-1");
        var path = Path.Combine(_context.Path, "a.txt");
        var mtime = Posix.LStat(path);
        var cache = StartingAfterChangeOf("a.txt", TimeSpan.FromMilliseconds(5));
        var first = Compute(cache, "a.txt");

        Assert.Equal((1, 0), (cache.Hashed, cache.Recorded));
        Assert.Equal(0, _db.CountFileDigests(_context.Path));

        // Rewritten at once, perhaps within the same timestamp tick, times put back: every stat field may match.
        Write("a.txt", "version-2");
        Posix.SetTimes(path, mtime.MTimeSec, mtime.MTimeNsec);
        var second = Compute(Live(), "a.txt");

        Assert.NotEqual(first, second);
        Assert.Equal(Compute(null, "a.txt"), second);
    }

    [Fact]
    public void A_file_changed_just_before_the_build_is_recorded_once_its_time_is_past_the_fine_window()
    {
        // A checkout or an edit right before the build: on a file system with nanosecond times, 20 ms later is settled,
        // so the next build does not read the file again.
        Write("a.txt", "content");
        Assert.NotEqual(0, FileIdentity.Of(Posix.LStat(Path.Combine(_context.Path, "a.txt"))).CTimeNs % 1_000_000_000);
        var cache = StartingAfterChangeOf("a.txt", TimeSpan.FromMilliseconds(50));
        Compute(cache, "a.txt");
        Assert.Equal((1, 1), (cache.Hashed, cache.Recorded));
        Assert.Equal(1, _db.CountFileDigests(_context.Path));
    }

    [Theory]
    [InlineData(true, -10, true)]      // nanosecond times: 10 ms before the start is inside the 20 ms window
    [InlineData(true, -30, false)]     // … 30 ms before is settled
    [InlineData(true, 500, true)]      // changed after the start
    [InlineData(false, -1_000, true)]  // whole-second times: 1 s before is inside the 2 s window
    [InlineData(false, -3_000, false)] // … 3 s before is settled
    public void The_racy_window_follows_the_granularity_the_ctime_shows(bool nanoseconds, long ctimeMsFromStart, bool racy)
    {
        const long start = 1_800_000_000L * 1_000_000_000; // a whole second
        var ctime = start + ctimeMsFromStart * 1_000_000 + (nanoseconds ? 789 : 0);
        var id = new FileIdentity(1, 2, 3, MTimeNs: ctime - 5_000_000_000, CTimeNs: ctime, Mode: 0x81a4);
        Assert.Equal(racy, FileDigestCache.IsRacy(id, start));
        Assert.True(FileDigestCache.IsRacy(id with { MTimeNs = start }, start)); // an mtime at the start is racy whatever the ctime
    }

    [Fact]
    public void A_stored_row_that_has_become_racy_is_not_used()
    {
        // A row recorded by some other writer with a ctime inside the racy window of this computation.
        Write("a.txt", "content");
        var id = FileIdentity.Of(Posix.LStat(Path.Combine(_context.Path, "a.txt")));
        _db.PutFileDigests(_context.Path, [new FileDigestRecord("a.txt", id, Digest.Of("planted"u8).ToString())]);

        var cache = StartingAfterChangeOf("a.txt", TimeSpan.FromMilliseconds(5));
        var digest = Compute(cache, "a.txt");

        Assert.Equal((0, 1), (cache.Hits, cache.Hashed));
        Assert.Equal(Compute(null, "a.txt"), digest);
    }

    [Fact]
    public void Changing_a_mode_or_the_inode_misses()
    {
        Write("a.txt", "content");
        Compute(Settled(), "a.txt");

        File.SetUnixFileMode(Path.Combine(_context.Path, "a.txt"), (UnixFileMode)0b111_101_101);
        var afterChmod = Settled();
        Compute(afterChmod, "a.txt");

        var replacement = Path.Combine(_context.Path, "a.tmp");
        File.WriteAllText(replacement, "content");
        File.Move(replacement, Path.Combine(_context.Path, "a.txt"), overwrite: true);
        var afterReplace = Settled();
        Compute(afterReplace, "a.txt");

        Assert.Equal((0, 1), (afterChmod.Hits, afterChmod.Hashed));
        Assert.Equal((0, 1), (afterReplace.Hits, afterReplace.Hashed));
    }

    [Fact]
    public void Parallel_hashing_gives_the_same_checksum_every_time()
    {
        var fs = new RootfsBuilder(_context.Path);
        for (var d = 0; d < 8; d++)
            for (var f = 0; f < 60; f++)
                fs.File($"/tree/d{d}/f{f:D2}", new string((char)('a' + (d + f) % 26), 100 + f * 37));
        var reference = Compute(null, "tree");

        for (var i = 0; i < 5; i++) Assert.Equal(reference, Compute(null, "tree"));
        var cold = Settled();
        Assert.Equal(reference, Compute(cold, "tree"));
        var warm = Settled();
        Assert.Equal(reference, Compute(warm, "tree"));
        Assert.Equal((480, 480), (cold.Hashed, warm.Hits));
    }

    [Fact]
    public void Rows_are_kept_per_context_root()
    {
        using var other = new TempDirectory("sbuild-statcache-other-");
        Write("a.txt", "one");
        File.WriteAllText(Path.Combine(other.Path, "a.txt"), "two");
        Compute(Settled(), "a.txt");
        var cache = Settled();
        ContextChecksum.Compute(other.Path, new CopySelection(["a.txt"]), null, cache);

        Assert.Equal((0, 1), (cache.Hits, cache.Hashed));
        Assert.Equal(1, _db.CountFileDigests(other.Path));
    }

    [Fact]
    public void A_context_inside_the_store_gets_no_stat_cache()
    {
        Assert.Null(FileDigestCache.ForContext(_db, Path.Combine(_store.Path, "tmp", "stdin-1", "context")));
        Assert.Null(FileDigestCache.ForContext(null, _context.Path));
        Assert.NotNull(FileDigestCache.ForContext(_db, _context.Path));
    }
}
