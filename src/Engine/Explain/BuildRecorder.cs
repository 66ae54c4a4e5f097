using System.Collections.Concurrent;
using System.Text.Json;
using Sbuild.Core;
using Sbuild.Core.Metadata;
using Sbuild.Frontend;
using Sbuild.Solver;

namespace Sbuild.Engine.Explain;

/// <summary>
/// Keeps the record of one build (docs/cache.md, "Why a step missed"): every step's outcome and key, and for each step
/// that ran, its cache inputs (<see cref="StepInputs"/>); a missed step is compared with the closest earlier record
/// of the same step and its one-line reason returned to the solver for progress output. Nothing is written until
/// <see cref="Save"/>, which writes the whole build in one transaction; a cached step costs a list entry only.
/// </summary>
public sealed class BuildRecorder(string buildId, StoreDatabase database, ExecutorGraph graph, LocalContext context, string dockerfile, bool explain)
    : ISolveObserver<FsState>
{
    /// <summary>How many builds of one Dockerfile keep their records (older ones go when a newer build is saved).</summary>
    public const int BuildsKeptPerDockerfile = 20;

    private readonly ConcurrentQueue<(OpNode Node, string Key, SolveOutcome Outcome, string? Differences)> _steps = new();
    // Each step's inputs as the JSON its record keeps, serialised beside the miss comparison (a COPY of a big context
    // lists thousands of files) and awaited when the record is saved.
    private readonly ConcurrentDictionary<string, Task<string>> _inputs = new(StringComparer.Ordinal);
    private readonly long _started = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>
    /// This build's id, the one its logs and kept failure have too (in <c>--metadata-file</c> as <c>sbuild.build-id</c>;
    /// <c>sbuild cache why ID</c>, <c>sbuild logs ID</c>).
    /// </summary>
    public string BuildId { get; } = buildId;

    public string? Answered(Vertex<FsState> vertex, Digest key, IReadOnlyList<Digest> inputs, SolveOutcome outcome)
    {
        var node = graph.NodeOf(vertex);
        if (outcome == SolveOutcome.Cached || !vertex.Op.Cacheable)
        {
            _steps.Enqueue((node, key.ToString(), outcome, null));
            return null;
        }
        var current = InputsOf(vertex, node, inputs);
        _inputs[key.ToString()] = Task.Run(() => JsonSerializer.Serialize(current, ExplainJsonContext.Default.StepInputs));
        MissExplanation? explanation = null;
        if (explain && outcome == SolveOutcome.Missed && Location(node) is var (stage, line, instruction)
            && Earlier(stage, line, instruction) is { } earlier && Parse(earlier.Inputs) is { } before)
        {
            var (differences, unchanged) = MissComparison.Compare(before, current, earlier.Key == key.ToString());
            explanation = new MissExplanation(differences, unchanged, earlier.BuildId);
        }
        _steps.Enqueue((node, key.ToString(), outcome,
            explanation is null ? null : JsonSerializer.Serialize(explanation, ExplainJsonContext.Default.MissExplanation)));
        return explanation is null ? null : MissText.OneLine(Instruction(node), explanation);
    }

    /// <summary>
    /// Writes the build's record (after it succeeded or failed), except for a build in which no step missed or ran: it
    /// has nothing to explain, and writing its rows is most of what a no-op rebuild would otherwise write to the store.
    /// A store that cannot take it costs a warning, not the build. The id of the build recorded, or null.
    /// </summary>
    public string? Save(IBuildLog log)
    {
        var steps = _steps.ToList();
        if (_inputs.IsEmpty && steps.TrueForAll(s => s.Outcome != SolveOutcome.Missed)) return null;
        // Numbered in Dockerfile order, which `cache why --step N` uses.
        var ordered = steps.OrderBy(s => s.Node.Description.Location?.Line ?? 0).ThenBy(s => s.Node.Description.Name, StringComparer.Ordinal)
            .Select((s, i) => new BuildStepRecord(i + 1, s.Node.Description.Name, s.Node.Description.Stage, s.Node.Description.Location?.Line ?? 0,
                s.Node.Description.Instruction ?? s.Node.Description.Name, s.Key, OutcomeName(s.Outcome), s.Differences))
            .ToList();
        try
        {
            var inputs = _inputs.Select(i => KeyValuePair.Create(i.Key, i.Value.GetAwaiter().GetResult())).ToList();
            database.PutBuild(new BuildRecord(BuildId, dockerfile, _started), ordered, inputs, BuildsKeptPerDockerfile);
            return BuildId;
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or SbuildException)
        {
            log.Warning($"the record of build {BuildId} (for `sbuild cache why`) was not kept: {e.Message}");
            return null;
        }
    }

    public static string OutcomeName(SolveOutcome outcome) => outcome switch
    {
        SolveOutcome.Cached => "cached",
        SolveOutcome.Missed => "missed",
        _ => "uncached",
    };

    /// <summary>The instruction a line of output names: the progress name without its <c>[stage n/m]</c> prefix.</summary>
    public static string Instruction(OpNode node)
    {
        var name = node.Description.Name;
        return name.StartsWith('[') && name.IndexOf("] ", StringComparison.Ordinal) is var end and > 0 ? name[(end + 2)..] : name;
    }

    private static (string Stage, int Line, string Instruction)? Location(OpNode node) =>
        node.Description.Location is { } at ? (node.Description.Stage, at.Line, node.Description.Instruction ?? node.Description.Name) : null;

    /// <summary>The earlier record to compare with; a store too busy to answer explains nothing rather than failing the build.</summary>
    private EarlierStep? Earlier(string stage, int line, string instruction)
    {
        try
        {
            return database.FindEarlierStep(dockerfile, stage, line, instruction);
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return null;
        }
    }

    private static StepInputs? Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, ExplainJsonContext.Default.StepInputs);
        }
        catch (JsonException)
        {
            return null; // a damaged record explains nothing
        }
    }

    private StepInputs InputsOf(Vertex<FsState> vertex, OpNode node, IReadOnlyList<Digest> inputs)
    {
        var op = node.Op;
        var env = op is ExecOp exec ? exec.Env : [];
        var recorded = op switch
        {
            ExecOp e => e with { Env = [], ProxyEnv = [] },
            _ => op,
        };
        return new StepInputs
        {
            Instruction = node.Description.Instruction ?? node.Description.Name,
            Op = JsonSerializer.SerializeToElement(recorded, FrontendJsonContext.Default.Op),
            Env = env,
            Args = node.Description.Args,
            Inputs = inputs.Select((digest, i) =>
            {
                var input = graph.NodeOf(vertex.Inputs[i]);
                return new InputRecord(digest.ToString(), input.Description.Name,
                    input.Op is ImageOp image ? $"{image.Reference}@{image.Manifest}" : null);
            }).ToList(),
            Files = op switch
            {
                // The other stage's entries were listed when their content digest (input 1's in the key) was made.
                // Named by their absolute path in that filesystem.
                CopyOp { From: CopySource.Input } when inputs.Count > 1 => graph.Selections.Listing(inputs[1])?.Select(f => f with { Path = "/" + f.Path }).ToList(),
                AddOp when vertex.Op is Executors.AddExecutor add && add.Downloads.ToList() is { Count: > 0 } downloads =>
                    [.. ContextFiles(op) ?? [], .. downloads.Select(UrlRecord)],
                _ => ContextFiles(op),
            },
        };
    }

    /// <summary>A downloaded URL as an entry: its content digest and size, and the headers that say it changed.</summary>
    private static FileRecord UrlRecord(DownloadedFile file) => new(file.Url, "url", "", file.Size, file.Digest.ToString(),
        ETag: file.ETag, Modified: file.LastModified?.ToString("r", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>What a COPY or ADD selects from the context, as the checksum of its key saw it; null for other steps, or
    /// when a context that had to be walked again changed under the build (the step itself then says so).</summary>
    private List<FileRecord>? ContextFiles(Op op)
    {
        try
        {
            return op switch
            {
                CopyOp { From: CopySource.Context } copy => context.Listing(new CopySelection(copy.Sources, copy.Parents, copy.Excludes)),
                AddOp add when add.Sources.Where(s => !SourceUrl.IsUrl(s)).ToList() is { Count: > 0 } local =>
                    context.Listing(new CopySelection(local, Excludes: add.Excludes)),
                _ => null,
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SbuildException)
        {
            return null;
        }
    }
}
