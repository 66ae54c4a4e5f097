using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Sbuild.Core.Metadata;

/// <summary>
/// Opens an sbuild SQLite database file the one way they are all used: WAL journal and a busy timeout, so several
/// processes share it; <c>synchronous = NORMAL</c> (with WAL a crash can lose the last transactions, never corrupt the
/// file); no checkpoint when a connection closes; the schema migrated to the newest of <paramref name="migrations"/>
/// and a newer one refused.
/// </summary>
public static class SqliteFile
{
    /// <summary>How long a statement waits for another connection's write lock before failing.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>SQLite's limit on a database file's path (MAX_PATHNAME of its unix VFS).</summary>
    public const int MaxPathBytes = 512;

    /// <summary>
    /// An open connection to <paramref name="path"/> (created if missing) whose schema is at <c>migrations.Count</c>.
    /// Script N (1-based) takes the database from version N-1 to N (<c>PRAGMA user_version</c>); scripts are
    /// append-only. <paramref name="what"/> names the database in errors.
    /// </summary>
    public static SqliteConnection Open(string path, IReadOnlyList<string> migrations, string what)
    {
        // SQLite's unix VFS opens no file whose absolute path is 512 bytes or longer ("unable to open database file").
        var full = Path.GetFullPath(path);
        if (System.Text.Encoding.UTF8.GetByteCount(full) + "-wal".Length >= MaxPathBytes)
            throw new SbuildException(ErrorCode.InvalidOption,
                $"the {what} {full} is in too deep a directory: SQLite needs its path below {MaxPathBytes} bytes; use a shorter --root");
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        };
        var connection = Connect(builder.ToString(), path);
        try
        {
            connection.Open();
            // busy_timeout first: switching to WAL needs a lock another process may hold while it creates the file.
            Execute(connection, $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}");
            Execute(connection, "PRAGMA journal_mode = WAL");
            Execute(connection, "PRAGMA synchronous = NORMAL");
            Execute(connection, "PRAGMA foreign_keys = ON");
            // SQLite checkpoints and deletes the WAL when its last connection closes: two fsyncs at every exit, and a
            // directory fsync when the next process creates the WAL again — most of a no-op rebuild's time on a slow
            // disk. Without that, the WAL stays and SQLite's automatic checkpoint (at 1000 pages) folds it in.
            SQLitePCL.raw.sqlite3_db_config(connection.Handle, SQLitePCL.raw.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, out _);
            Migrate(connection, migrations, what, path);
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new SbuildException(ErrorCode.StoreCorrupt, $"{what} {path}: {e.Message}", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The schema version of an open database (<c>PRAGMA user_version</c>).</summary>
    public static int Version(SqliteConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA user_version";
        return Convert.ToInt32(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static SqliteConnection Connect(string connectionString, string path)
    {
        try
        {
            return new SqliteConnection(connectionString);
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException)
        {
            // The native SQLite library ships beside the sbuild binary (dotnet publish puts it there).
            throw new SbuildException(ErrorCode.MetadataUnavailable,
                $"cannot load SQLite (libe_sqlite3.so) for {path}: keep it in the directory of the sbuild executable " +
                $"({AppContext.BaseDirectory}); {(e.InnerException ?? e).Message}", e);
        }
    }

    private static void Migrate(SqliteConnection connection, IReadOnlyList<string> migrations, string what, string path)
    {
        var latest = migrations.Count;
        for (var target = 1; target <= latest; target++)
        {
            if (Checked() >= target) continue;
            // IMMEDIATE takes the write lock before reading the version again: of two processes opening a fresh file,
            // the second waits, then sees the first one's version and skips the script.
            using var tx = connection.BeginTransaction(deferred: false);
            if (Checked() < target)
            {
                Execute(connection, migrations[target - 1], tx);
                Execute(connection, $"PRAGMA user_version = {target}", tx);
            }
            tx.Commit();
        }
        Checked();

        int Checked()
        {
            var version = Version(connection);
            if (version > latest)
                throw new SbuildException(ErrorCode.StoreTooNew,
                    $"the {what} {path} has schema version {version}, this sbuild knows up to {latest}: " +
                    "the store was written by a newer sbuild; use that version (or another --root)");
            return version;
        }
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        cmd.ExecuteNonQuery();
    }
}
