using Microsoft.Data.Sqlite;
using Sbuild.Core.Metadata;
using Sbuild.TestSupport;

namespace Sbuild.Core.Tests.Metadata;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}

public sealed class StoreDatabaseTests : IDisposable
{
    private readonly TempDirectory _root = new("sbuild-db-");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _root.Dispose();
    }

    private string DbPath => Path.Combine(_root.Path, StoreDatabase.FileName);

    /// <summary>Runs <paramref name="sql"/> on the database file through a connection of its own (another "process").</summary>
    private object? Raw(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    [Fact]
    public void A_fresh_store_gets_the_latest_schema_in_metadata_db()
    {
        using (var db = StoreDatabase.Open(_root.Path))
        {
            Assert.Equal(StoreMigrations.Latest, db.SchemaVersion);
            Assert.Equal(DbPath, db.Path);
        }
        Assert.True(File.Exists(DbPath));
        Assert.Equal((long)StoreMigrations.Latest, Raw("PRAGMA user_version"));
        Assert.Equal(2L, Raw("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('cache_records', 'file_digests')"));
    }

    [Fact]
    public void Reopening_keeps_the_data_and_the_version()
    {
        using (var db = StoreDatabase.Open(_root.Path)) db.PutCacheRecord("sha256:aa", "{}", 1);
        using (var db = StoreDatabase.Open(_root.Path))
        {
            Assert.Equal(StoreMigrations.Latest, db.SchemaVersion);
            Assert.NotNull(db.TryGetCacheRecord("sha256:aa"));
        }
    }

    [Fact]
    public void The_journal_is_WAL_with_foreign_keys_on()
    {
        using var db = StoreDatabase.Open(_root.Path);
        Assert.Equal("wal", db.JournalMode);
        // WAL is a property of the file: another connection sees it too.
        Assert.Equal("wal", Raw("PRAGMA journal_mode"));
    }

    [Fact]
    public void A_database_of_a_newer_sbuild_is_refused_naming_the_reason()
    {
        using (StoreDatabase.Open(_root.Path)) { }
        Raw($"PRAGMA user_version = {StoreMigrations.Latest + 1}");

        var error = Assert.Throws<SbuildException>(() => StoreDatabase.Open(_root.Path));

        Assert.Equal(ErrorCode.StoreTooNew, error.Code);
        Assert.Contains("newer sbuild", error.Message);
        Assert.Contains(DbPath, error.Message);
        Assert.Equal((long)StoreMigrations.Latest + 1, Raw("PRAGMA user_version")); // untouched
    }

    [Fact]
    public void A_file_that_is_not_a_database_fails_as_a_corrupt_store()
    {
        File.WriteAllText(DbPath, new string('x', 4096));
        var error = Assert.Throws<SbuildException>(() => StoreDatabase.Open(_root.Path));
        Assert.Equal(ErrorCode.StoreCorrupt, error.Code);
        Assert.Contains(DbPath, error.Message);
    }

    [Fact]
    public void Many_openers_of_a_fresh_store_at_once_all_succeed_and_the_schema_is_applied_once()
    {
        // Each StoreDatabase has its own connection, so for SQLite's locking these are separate processes. A second
        // run of script 1 would fail on CREATE TABLE, so "all succeed" means the schema went in exactly once.
        const int openers = 8;
        using var start = new Barrier(openers);
        var errors = new List<Exception>();
        var threads = Enumerable.Range(0, openers).Select(i => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                using var db = StoreDatabase.Open(_root.Path);
                db.PutCacheRecord($"sha256:{i:x2}", "{}", i);
            }
            catch (Exception e)
            {
                lock (errors) errors.Add(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(errors);
        Assert.Equal((long)StoreMigrations.Latest, Raw("PRAGMA user_version"));
        Assert.Equal((long)openers, Raw("SELECT count(*) FROM cache_records"));
    }

    [Fact]
    public void Two_processes_sharing_a_store_see_each_others_writes()
    {
        using var a = StoreDatabase.Open(_root.Path);
        using var b = StoreDatabase.Open(_root.Path);
        a.PutCacheRecord("sha256:01", "{\"a\":1}", 5);
        Assert.Equal("{\"a\":1}", b.TryGetCacheRecord("sha256:01")?.Result);
    }

    [Fact]
    public void A_cache_record_is_stored_found_and_marked_used()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(1_000_000));
        using var db = StoreDatabase.Open(_root.Path, clock);

        Assert.Null(db.TryGetCacheRecord("sha256:aa"));
        db.PutCacheRecord("sha256:aa", "{\"snapshot\":\"x\"}", 42);

        clock.Now = clock.Now.AddSeconds(10);
        var hit = db.TryGetCacheRecord("sha256:aa");

        Assert.Equal(new CacheRecord("sha256:aa", "{\"snapshot\":\"x\"}", 1_000_000, 1_010_000, 42, Uses: 2), hit);
        Assert.Equal(1_010_000, Assert.Single(db.ListCacheRecords()).LastUsed); // the update was stored
    }

    [Fact]
    public void Cache_hits_alone_let_SQLite_checkpoint_the_WAL()
    {
        // A no-op rebuild's only writes are its hits. SQLite folds the WAL into the database after a commit that
        // leaves 1000 pages or more in it, then starts the WAL over, which raises the checkpoint sequence number in
        // the WAL's header (bytes 12-15, big-endian).
        using var db = StoreDatabase.Open(_root.Path);
        db.PutCacheRecord("sha256:aa", "{}", 1);
        for (var i = 0; i < 1100; i++) Assert.NotNull(db.TryGetCacheRecord("sha256:aa"));
        var header = new byte[16];
        using (var wal = File.OpenRead(DbPath + "-wal")) wal.ReadExactly(header);
        Assert.NotEqual(0u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12)));
        Assert.Equal(1101, Assert.Single(db.ListCacheRecords()).Uses);
    }

    [Fact]
    public void Replacing_a_cache_record_keeps_its_creation_time()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(5_000));
        using var db = StoreDatabase.Open(_root.Path, clock);
        db.PutCacheRecord("sha256:aa", "1", 1);
        clock.Now = clock.Now.AddSeconds(1);
        db.PutCacheRecord("sha256:aa", "2", 2);

        Assert.Equal(new CacheRecord("sha256:aa", "2", 5_000, 6_000, 2), Assert.Single(db.ListCacheRecords()));
    }

    [Fact]
    public void Cache_records_are_listed_and_deleted()
    {
        using var db = StoreDatabase.Open(_root.Path);
        db.PutCacheRecord("sha256:bb", "{}", 2);
        db.PutCacheRecord("sha256:aa", "{}", 1);

        Assert.Equal(["sha256:aa", "sha256:bb"], db.ListCacheRecords().Select(r => r.Key));
        Assert.Equal(3, db.CacheSize());
        Assert.True(db.DeleteCacheRecord("sha256:aa"));
        Assert.False(db.DeleteCacheRecord("sha256:aa"));
        Assert.Equal(["sha256:bb"], db.ListCacheRecords().Select(r => r.Key));
        Assert.Null(db.TryGetCacheRecord("sha256:aa"));
        Assert.Equal(2, db.CacheSize());
        Assert.True(db.DeleteCacheRecord("sha256:bb"));
        Assert.Equal(0, db.CacheSize());
    }

    [Fact]
    public void File_digests_are_stored_per_root_in_batches_and_replaced()
    {
        using var db = StoreDatabase.Open(_root.Path);
        var id = new FileIdentity(1, 2, 3, 4, 5, 0x81a4);
        db.PutFileDigests("/ctx", [new("a", id, "sha256:01"), new("b/c", id with { Inode = 9 }, "sha256:02")]);
        db.PutFileDigests("/other", [new("a", id, "sha256:99")]);
        db.PutFileDigests("/ctx", [new("a", id with { Size = 4 }, "sha256:03")]);

        var found = db.GetFileDigests("/ctx", ["a", "missing", "b/c"]);

        Assert.Equal(new FileDigestRecord("a", id with { Size = 4 }, "sha256:03"), found[0]);
        Assert.Null(found[1]);
        Assert.Equal(new FileDigestRecord("b/c", id with { Inode = 9 }, "sha256:02"), found[2]);
        Assert.Equal(2, db.CountFileDigests("/ctx"));
        Assert.Equal(2, db.DeleteFileDigests("/ctx"));
        Assert.Equal(1, db.CountFileDigests("/other"));
    }

    [Fact]
    public void All_file_digests_of_a_root_come_from_one_scan_which_a_cancelled_token_stops()
    {
        using var db = StoreDatabase.Open(_root.Path);
        var id = new FileIdentity(1, 2, 3, 4, 5, 0x81a4);
        db.PutFileDigests("/ctx", Enumerable.Range(0, 400).Select(i => new FileDigestRecord($"f{i}", id with { Inode = i }, $"sha256:{i:x2}")).ToList());
        db.PutFileDigests("/other", [new("elsewhere", id, "sha256:99")]);

        var all = db.ListFileDigests("/ctx");

        Assert.Equal(400, all.Count);
        Assert.Equal(new FileDigestRecord("f7", id with { Inode = 7 }, "sha256:07"), all["f7"]);
        Assert.DoesNotContain("elsewhere", all.Keys);
        Assert.Empty(db.ListFileDigests("/ctx", new CancellationToken(canceled: true)));
    }

    [Fact]
    public void One_instance_is_safe_from_many_threads()
    {
        using var db = StoreDatabase.Open(_root.Path);
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            db.PutCacheRecord($"sha256:{i:x4}", $"{{\"i\":{i}}}", i);
            Assert.Equal($"{{\"i\":{i}}}", db.TryGetCacheRecord($"sha256:{i:x4}")?.Result);
            if (i % 10 == 0) db.PutFileDigests("/ctx", [new($"f{i}", new FileIdentity(0, i, 0, 0, 0, 0), "d")]);
            if (i % 7 == 0) db.GetFileDigests("/ctx", ["f0", "f10"]);
        });
        Assert.Equal(400, db.ListCacheRecords().Count);
        Assert.Equal(40, db.CountFileDigests("/ctx"));
    }
}
