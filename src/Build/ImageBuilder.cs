using Sbuild.Core;
using Sbuild.Exporter;
using Sbuild.Parser;
using Sbuild.Solver;

namespace Sbuild.Build;

/// <summary>
/// Builds a Dockerfile into an image in the local store: parse → plan stages → solve the graph → write config
/// and manifest → tag. Nothing is tagged unless every step succeeded, so a failed build leaves names as they were.
/// </summary>
public sealed class ImageBuilder(ImageStore store, IProgress<SolveEvent> progress, IBuildLog log, BuildEnvironment environment)
{
    public async Task<BuildResult> BuildAsync(BuildRequest request, CancellationToken ct)
    {
        var (ast, definition) = Load(request);
        var targetIndex = TargetStage(definition, request.Target);
        var args = new BuildArgs(request.BuildArgs, definition.Stages[targetIndex].Name ?? "default");
        using var ops = new BuildOps(store, environment, request, log, ct);
        var userArgs = request.BuildArgs.Keys.ToHashSet(StringComparer.Ordinal);
        var plan = new StageConverter(definition, args, userArgs, ops, request.NoCacheStages).Plan(targetIndex);
        var warnings = definition.Warnings.ToList();
        if (args.Unconsumed(definition) is { Count: > 0 } unused)
            warnings.Add($"UnusedBuildArgs: one or more build-args [{string.Join(' ', unused)}] were not consumed");
        LintPolicy.Check(ast, warnings);

        var solver = new Solver<FsState>(request.NoCache ? new RecordOnlyCacheStore<FsState>(ops.Cache) : ops.Cache, progress);
        var fs = await solver.SolveAsync(plan.Fs, ct).ConfigureAwait(false);
        // Without SOURCE_DATE_EPOCH the image is as old as its newest layer (BuildKit's rule), so a cached rebuild
        // reproduces the same config and image ID.
        var created = request.SourceDateEpoch ?? fs.Created ?? DateTimeOffset.UtcNow;
        var history = new List<HistoryEntry>(plan.BaseHistory);
        foreach (var step in plan.History)
        {
            var empty = step.Layer is null
                || (await solver.ResultOf(step.Layer, ct).ConfigureAwait(false)).Layers.Count
                   == (await solver.ResultOf(step.Parent!, ct).ConfigureAwait(false)).Layers.Count;
            history.Add(new HistoryEntry { Created = created, CreatedBy = step.CreatedBy, Comment = StageConverter.HistoryComment, EmptyLayer = empty ? true : null });
        }

        var config = new ImageConfig
        {
            Created = created,
            Author = plan.Author,
            Architecture = plan.Architecture,
            Os = plan.Os,
            Variant = plan.Variant,
            Config = plan.Config,
            RootFs = new RootFs { DiffIds = fs.Layers.Select(l => l.DiffId).ToList() },
            History = history,
        };
        var image = new ImageWriter(store.Content).Write(config, fs.Layers.Select(l => l.Blob).ToList());
        foreach (var tag in request.Tags) store.Tag(tag, image.Manifest);
        return new BuildResult(image.ImageId, image.Manifest, config, warnings);
    }

    private static (DockerfileAst, BuildDefinition) Load(BuildRequest request)
    {
        string text;
        try
        {
            text = File.ReadAllText(request.DockerfilePath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw new SbuildException(ErrorCode.DockerfileNotFound, $"failed to read Dockerfile {request.DockerfilePath}: {e.Message}");
        }
        var ast = DockerfileParser.Parse(text, request.DockerfilePath);
        var targetName = request.Target?.ToLowerInvariant();
        var automatic = new BuildArgs(request.BuildArgs, targetName ?? "default").All;
        return (ast, InstructionBinder.Bind(ast, automatic));
    }

    private static int TargetStage(BuildDefinition definition, string? target)
    {
        if (target is null) return definition.Stages.Count - 1;
        var lower = target.ToLowerInvariant();
        for (var i = 0; i < definition.Stages.Count; i++)
            if (definition.Stages[i].Name == lower) return i;
        var names = definition.Stages.Where(s => s.Name is not null).Select(s => s.Name).ToList();
        throw new SbuildException(ErrorCode.UnknownStage,
            $"--target {target}: no stage with that name in the Dockerfile" + (names.Count > 0 ? $" (stages: {string.Join(", ", names)})" : " (it has no named stages)"));
    }
}
