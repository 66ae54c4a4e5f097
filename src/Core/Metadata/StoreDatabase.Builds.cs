namespace Sbuild.Core.Metadata;

/// <summary>One build of a Dockerfile (<paramref name="Started"/>: Unix milliseconds).</summary>
public sealed record BuildRecord(string Id, string Dockerfile, long Started);

/// <summary>
/// One step of a build: its number in the build (Dockerfile order), progress name, stage, Dockerfile line (0: none),
/// the instruction as written, its cache key, the outcome (<c>cached</c>, <c>missed</c>, <c>uncached</c>) and, for a
/// miss, the differences from the closest earlier record as JSON (null: none was found or none was looked for).
/// </summary>
public sealed record BuildStepRecord(int Step, string Name, string Stage, int Line, string Instruction, string Key, string Outcome, string? Differences);

/// <summary>An earlier record of a step: the build it was in, its key and the cache inputs recorded for that key.</summary>
public sealed record EarlierStep(string BuildId, string Key, string Inputs);

public sealed partial class StoreDatabase
{
    /// <summary>
    /// Records a build, its steps, and the cache inputs of keys this build recorded (a row only for a key that has a cache
    /// record: inputs go with their record), in one transaction; then drops the oldest builds of the same Dockerfile
    /// beyond <paramref name="keepPerDockerfile"/>.
    /// </summary>
    public void PutBuild(BuildRecord build, IReadOnlyList<BuildStepRecord> steps, IReadOnlyCollection<KeyValuePair<string, string>> inputs, int keepPerDockerfile)
    {
        lock (_lock)
        {
            using var tx = _connection.BeginTransaction(deferred: false);
            using (var cmd = Command("INSERT INTO builds(id, dockerfile, started) VALUES ($id, $dockerfile, $started)",
                       ("$id", build.Id), ("$dockerfile", build.Dockerfile), ("$started", build.Started)))
            {
                cmd.Transaction = tx;
                cmd.ExecuteNonQuery();
            }
            using (var cmd = Command("""
                       INSERT INTO build_steps(build_id, step, name, stage, line, instruction, key, outcome, differences)
                       VALUES ($id, $step, $name, $stage, $line, $instruction, $key, $outcome, $differences)
                       """, ("$id", build.Id), ("$step", 0), ("$name", ""), ("$stage", ""), ("$line", 0), ("$instruction", ""), ("$key", ""),
                       ("$outcome", ""), ("$differences", DBNull.Value)))
            {
                cmd.Transaction = tx;
                cmd.Prepare();
                var p = cmd.Parameters;
                foreach (var step in steps)
                {
                    p["$step"].Value = step.Step;
                    p["$name"].Value = step.Name;
                    p["$stage"].Value = step.Stage;
                    p["$line"].Value = step.Line;
                    p["$instruction"].Value = step.Instruction;
                    p["$key"].Value = step.Key;
                    p["$outcome"].Value = step.Outcome;
                    p["$differences"].Value = (object?)step.Differences ?? DBNull.Value;
                    cmd.ExecuteNonQuery();
                }
            }
            using (var cmd = Command("""
                       INSERT OR REPLACE INTO cache_inputs(key, inputs) SELECT $key, $inputs WHERE EXISTS (SELECT 1 FROM cache_records WHERE key = $key)
                       """, ("$key", ""), ("$inputs", "")))
            {
                cmd.Transaction = tx;
                cmd.Prepare();
                foreach (var (key, json) in inputs)
                {
                    cmd.Parameters["$key"].Value = key;
                    cmd.Parameters["$inputs"].Value = json;
                    cmd.ExecuteNonQuery();
                }
            }
            using (var cmd = Command("""
                       DELETE FROM builds WHERE dockerfile = $dockerfile AND id NOT IN
                           (SELECT id FROM builds WHERE dockerfile = $dockerfile ORDER BY started DESC, rowid DESC LIMIT $keep)
                       """, ("$dockerfile", build.Dockerfile), ("$keep", keepPerDockerfile)))
            {
                cmd.Transaction = tx;
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    /// <summary>
    /// The newest earlier record of a step of <paramref name="dockerfile"/> whose cache inputs are still kept: the same
    /// stage and line first, else the same instruction text in the same stage.
    /// </summary>
    public EarlierStep? FindEarlierStep(string dockerfile, string stage, int line, string instruction)
    {
        lock (_lock)
        {
            return Find("s.line = $line") ?? Find("s.instruction = $instruction");
        }

        EarlierStep? Find(string match)
        {
            using var cmd = Command($"""
                SELECT b.id, s.key, i.inputs FROM build_steps s JOIN builds b ON b.id = s.build_id JOIN cache_inputs i ON i.key = s.key
                WHERE b.dockerfile = $dockerfile AND s.stage = $stage AND {match}
                ORDER BY b.started DESC, b.rowid DESC LIMIT 1
                """, ("$dockerfile", dockerfile), ("$stage", stage), ("$line", line), ("$instruction", instruction));
            using var reader = cmd.ExecuteReader();
            return reader.Read() ? new EarlierStep(reader.GetString(0), reader.GetString(1), reader.GetString(2)) : null;
        }
    }

    /// <summary>Every kept build, newest first.</summary>
    public IReadOnlyList<BuildRecord> ListBuilds()
    {
        lock (_lock)
        {
            using var cmd = Command("SELECT id, dockerfile, started FROM builds ORDER BY started DESC, rowid DESC");
            using var reader = cmd.ExecuteReader();
            var builds = new List<BuildRecord>();
            while (reader.Read()) builds.Add(new BuildRecord(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
            return builds;
        }
    }

    /// <summary>The steps of build <paramref name="buildId"/>, by number.</summary>
    public IReadOnlyList<BuildStepRecord> BuildSteps(string buildId)
    {
        lock (_lock)
        {
            using var cmd = Command("""
                SELECT step, name, stage, line, instruction, key, outcome, differences FROM build_steps WHERE build_id = $id ORDER BY step
                """, ("$id", buildId));
            using var reader = cmd.ExecuteReader();
            var steps = new List<BuildStepRecord>();
            while (reader.Read())
                steps.Add(new BuildStepRecord(reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetString(4),
                    reader.GetString(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7)));
            return steps;
        }
    }

    /// <summary>Removes every build record (<c>prune --all</c>); returns how many builds went.</summary>
    public int DeleteBuilds()
    {
        lock (_lock)
        {
            using var cmd = Command("DELETE FROM builds");
            return cmd.ExecuteNonQuery();
        }
    }
}
