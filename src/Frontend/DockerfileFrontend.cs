using Sbuild.Core;
using Sbuild.Parser;

namespace Sbuild.Frontend;

/// <summary>What the frontend needs from a build request: the Dockerfile, the target, build args and cache filters.</summary>
public sealed record FrontendRequest
{
    public required string DockerfilePath { get; init; }
    public string? Target { get; init; }
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();
    /// <summary><c>--no-cache-filter</c>: stage names (lower case) whose steps ignore the cache.</summary>
    public IReadOnlySet<string> NoCacheStages { get; init; } = new HashSet<string>();
    /// <summary>The network of a RUN without <c>--network</c> (or with <c>--network=default</c>): the build's <c>--network</c>.</summary>
    public NetworkMode Network { get; init; } = NetworkMode.Host;
    /// <summary><c>--allow security.insecure</c>: <c>RUN --security=insecure</c> may run privileged.</summary>
    public bool AllowInsecure { get; init; }
    /// <summary><c>--platform</c>: the platform built for (TARGETPLATFORM, the base images' platform, RUN's); BUILDPLATFORM is the host.</summary>
    public Platform Platform { get; init; } = Platform.Host;
}

/// <summary>
/// The target stage as an op graph (its <see cref="StagePlan.Fs"/>), its config and history, lint warnings, and notes
/// (what sbuild did instead of what the Dockerfile asked, such as the frontend a <c># syntax=</c> names).
/// </summary>
public sealed record FrontendResult(StagePlan Target, IReadOnlyList<string> Warnings, IReadOnlyList<string> Notes);

/// <summary>
/// The Dockerfile frontend (BuildKit's dockerfile2llb): parse → bind → convert the target stage, and the stages it uses,
/// into op definitions. Nothing here runs a step; images named by the Dockerfile are only resolved for their config.
/// </summary>
/// <summary>What <c>build --check</c> found: lint warnings ("FILE:LINE: Rule: message") and what sbuild cannot build ("FILE:LINE: why").</summary>
public sealed record CheckResult(IReadOnlyList<string> Warnings, IReadOnlyList<string> Problems);

public static class DockerfileFrontend
{
    public static FrontendResult Convert(FrontendRequest request, IImageResolver images)
    {
        var (ast, definition, notes) = Load(request);
        var targetIndex = TargetStage(definition, request.Target);
        var args = new BuildArgs(request.BuildArgs, definition.Stages[targetIndex].Name ?? "default", request.Platform);
        var userArgs = request.BuildArgs.Keys.ToHashSet(StringComparer.Ordinal);
        var plan = new StageConverter(definition, args, userArgs, images, request).Plan(targetIndex);
        var warnings = definition.Warnings.ToList();
        if (args.Unconsumed(definition) is { Count: > 0 } unused)
            warnings.Add($"UnusedBuildArgs: one or more build-args [{string.Join(' ', unused)}] were not consumed");
        warnings.AddRange(LintPolicy.PersistedSecrets(plan));
        LintPolicy.Check(ast, warnings);
        return new FrontendResult(plan, warnings, notes);
    }

    /// <summary>
    /// <c>build --check</c>: every stage planned without images (a base image counts as an empty one, nothing is
    /// pulled or run), collecting the lint warnings the Dockerfile's <c># check=skip</c> keeps and every instruction
    /// sbuild cannot build or plan, in Dockerfile order.
    /// </summary>
    public static CheckResult Check(FrontendRequest request)
    {
        var (ast, definition, _) = Load(request);
        var targetIndex = TargetStage(definition, request.Target);
        var args = new BuildArgs(request.BuildArgs, definition.Stages[targetIndex].Name ?? "default", request.Platform);
        var userArgs = request.BuildArgs.Keys.ToHashSet(StringComparer.Ordinal);
        var problems = new List<DockerfileException>();
        var converter = new StageConverter(definition, args, userArgs, new UnknownImages(), request) { Problems = problems };
        for (var i = 0; i < definition.Stages.Count; i++)
        {
            try
            {
                converter.Plan(i);
            }
            catch (DockerfileException e)
            {
                problems.Add(e); // its FROM: the stage's instructions cannot be planned on it
            }
        }
        var warnings = definition.Warnings.ToList();
        if (args.Unconsumed(definition) is { Count: > 0 } unused)
            warnings.Add($"UnusedBuildArgs: one or more build-args [{string.Join(' ', unused)}] were not consumed");
        LintPolicy.Filter(ast, warnings);
        return new CheckResult(warnings,
            problems.DistinctBy(p => (p.Location, p.Reason)).OrderBy(p => p.Location.Line).Select(p => $"{p.Location.File}:{p.Location.Line}: {p.Reason}").ToList());
    }

    /// <summary>Base images for <see cref="Check"/>: each an empty image of the host platform, so planning needs no store or registry.</summary>
    private sealed class UnknownImages : IImageResolver
    {
        public ResolvedImage Resolve(ImageReference reference, Platform platform) =>
            new(Digest.Of(System.Text.Encoding.UTF8.GetBytes(reference.ToString())),
                new ImageConfig { Architecture = platform.Architecture, Os = platform.Os, RootFs = new RootFs { DiffIds = [] } });
    }

    private static (DockerfileAst, BuildDefinition, IReadOnlyList<string> Notes) Load(FrontendRequest request)
    {
        var text = DockerfileText.Read(request.DockerfilePath);
        var ast = DockerfileParser.Parse(text, request.DockerfilePath);
        var notes = SyntaxDirective.Check(ast, text) is { } note ? [note] : Array.Empty<string>();
        var targetName = request.Target?.ToLowerInvariant();
        var automatic = new BuildArgs(request.BuildArgs, targetName ?? "default", request.Platform).All;
        return (ast, InstructionBinder.Bind(ast, automatic), notes);
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
