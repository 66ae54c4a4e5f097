namespace Sbuild.Core.Metadata;

/// <summary>
/// The schema of <c>metadata.db</c>, as an ordered list of SQL scripts: script N (1-based) takes the database from
/// version N-1 to N (<c>PRAGMA user_version</c>). Scripts are append-only: never edit one that has shipped, add the
/// next one instead (a new table, an index, an <c>ALTER TABLE … ADD COLUMN</c>).
/// </summary>
public static class StoreMigrations
{
    public static IReadOnlyList<string> Scripts { get; } =
    [
        // 1: the build cache and the context stat cache.
        """
        CREATE TABLE cache_records (
            key       TEXT PRIMARY KEY,
            result    TEXT NOT NULL,
            created   INTEGER NOT NULL,
            last_used INTEGER NOT NULL,
            size      INTEGER NOT NULL DEFAULT 0,
            description TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX cache_records_last_used ON cache_records(last_used);
        CREATE TABLE file_digests (
            root     TEXT NOT NULL,
            path     TEXT NOT NULL,
            dev      INTEGER NOT NULL,
            ino      INTEGER NOT NULL,
            size     INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            ctime_ns INTEGER NOT NULL,
            mode     INTEGER NOT NULL,
            digest   TEXT NOT NULL,
            PRIMARY KEY (root, path)
        );
        """,
        // 2: build records and each cached step's cache inputs (why a step missed; docs/cache.md).
        """
        CREATE TABLE builds (
            id         TEXT PRIMARY KEY,
            dockerfile TEXT NOT NULL,
            started    INTEGER NOT NULL
        );
        CREATE INDEX builds_dockerfile ON builds(dockerfile, started);
        CREATE TABLE build_steps (
            build_id    TEXT NOT NULL REFERENCES builds(id) ON DELETE CASCADE,
            step        INTEGER NOT NULL,
            name        TEXT NOT NULL,
            stage       TEXT NOT NULL,
            line        INTEGER NOT NULL,
            instruction TEXT NOT NULL,
            key         TEXT NOT NULL,
            outcome     TEXT NOT NULL,
            differences TEXT,
            PRIMARY KEY (build_id, step)
        );
        CREATE TABLE cache_inputs (
            key    TEXT PRIMARY KEY REFERENCES cache_records(key) ON DELETE CASCADE,
            inputs TEXT NOT NULL
        );
        """,
        // 3: how many times each cache record was used (BuildKit's UsageCount, shown by `sbuild system df -v`).
        """
        ALTER TABLE cache_records ADD COLUMN uses INTEGER NOT NULL DEFAULT 1;
        """,
    ];

    /// <summary>The version a database has once every script ran.</summary>
    public static int Latest => Scripts.Count;
}
