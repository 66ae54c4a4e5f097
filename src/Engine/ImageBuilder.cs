using Sbuild.Core;
using Sbuild.Engine.Cache;
using Sbuild.Engine.Explain;
using Sbuild.Core.Metadata;
using Sbuild.Exporter;
using Sbuild.Frontend;
using Sbuild.Solver;

namespace Sbuild.Engine;

/// <summary>
/// Builds a Dockerfile into an image in the local store: the frontend's op graph → executors → solve → write config
/// and manifest → tag. Nothing is tagged unless every step succeeded, so a failed build leaves names as they were.
/// </summary>
public sealed class ImageBuilder(ImageStore store, IProgress<SolveEvent> progress, IBuildLog log, BuildEnvironment environment)
{
    public async Task<BuildResult> BuildAsync(BuildRequest request, CancellationToken ct)
    {
        if (request.Platforms.Count <= 1)
        {
            var single = await BuildPlatformAsync(request, request.Platforms.FirstOrDefault() ?? Platform.Host, ct).ConfigureAwait(false);
            Name(request, single.Manifest);
            return single;
        }
        if (request.CacheTo.Count > 0)
            throw new SbuildException(ErrorCode.InvalidOption, "--cache-to with several --platform values is not supported yet: export the cache of one platform at a time");
        // Each platform is a build of its own; steps that do not depend on the platform (FROM --platform=$BUILDPLATFORM
        // stages, COPY onto scratch) have the same cache keys, so the later platforms find them done.
        var images = new List<BuildResult>();
        foreach (var platform in request.Platforms)
            images.Add(await BuildPlatformAsync(request, platform, ct).ConfigureAwait(false));
        var index = new ImageWriter(store.Content).WriteIndex(images.Select((image, i) => (image.Manifest, request.Platforms[i])).ToList());
        Name(request, index);
        return new BuildResult(index.Digest, index, null, images[0].Warnings, 0, images[^1].BuildId) { Images = images };
    }

    /// <summary>Tags the result; without a name it is kept dangling, as docker build keeps an untagged result (&lt;none&gt;:&lt;none&gt;).</summary>
    private void Name(BuildRequest request, Descriptor manifest)
    {
        foreach (var tag in request.Tags) store.Tag(tag, manifest);
        if (request.Tags.Count == 0) store.KeepUnnamed(manifest);
    }

    /// <summary>The image for one platform, written to the store's content but not named.</summary>
    private async Task<BuildResult> BuildPlatformAsync(BuildRequest request, Platform platform, CancellationToken ct)
    {
        // Reading the Dockerfile can block for ever (a FIFO with no writer) and planning a huge one takes seconds without
        // a cancellation point: a signal abandons both (they write nothing; an image they resolve is pulled with ct).
        var frontend = await AbandonableWork.RunAsync(() => DockerfileFrontend.Convert(new FrontendRequest
        {
            DockerfilePath = request.DockerfilePath, Target = request.Target, BuildArgs = request.BuildArgs, NoCacheStages = request.NoCacheStages, Network = request.Network,
            AllowInsecure = request.AllowInsecure, Platform = platform,
        }, new StoreImageResolver(store, environment.Images, ct)), ct).ConfigureAwait(false);
        var plan = frontend.Target;
        foreach (var note in frontend.Notes) log.Note(note);

        using var workspace = new SnapshotWorkspace(store, environment.Snapshotter, request.SourceDateEpoch);
        using var database = StoreDatabase.Open(store.Root);
        var context = LocalContext.Load(request.ContextDir, request.DockerfilePath, database);
        var journal = new Debugging.BuildJournal(store.Root, request.ContextDir, request.DockerfilePath, environment.Snapshotter);
        using var graph = new ExecutorGraph(store, environment, workspace, context, log, request.Secrets, request.SshAgents, request.Seccomp, request.Limits, journal);
        var imported = request.CacheFrom.Count > 0
            ? await CacheImport.LoadAsync(request.CacheFrom, store, graph.CacheMounts, environment.Registries, log, ct).ConfigureAwait(false)
            : null;
        var cache = new BuildCacheStore(new DatabaseCacheStore(database, workspace), imported);
        var recorder = new BuildRecorder(journal.Id, database, graph, context, Path.GetFullPath(request.DockerfilePath), explain: !request.NoCache);
        var solver = new Solver<FsState>(request.NoCache ? new RecordOnlyCacheStore<FsState>(cache) : cache, progress, recorder);
        FsState fs;
        string? recorded = null;
        try
        {
            var target = graph.VertexOf(plan.Fs);
            // A rebuild whose image is cached lists its steps in Dockerfile order, as BuildKit's progress does: resolving
            // them first reports each one (nothing runs), and the target then takes the hit looked up here.
            if (await solver.IsCachedAsync(target, ct).ConfigureAwait(false))
                await ResolveHistoryStepsAsync(solver, graph, plan, ct).ConfigureAwait(false);
            fs = await solver.SolveAsync(target, ct).ConfigureAwait(false);
            await ResolveHistoryStepsAsync(solver, graph, plan, ct).ConfigureAwait(false);
        }
        finally
        {
            // A failed build is recorded too: what ran before the failure is in the cache, and `cache why` can say why.
            recorded = recorder.Save(log);
        }
        // Without SOURCE_DATE_EPOCH the image is as old as its newest layer (BuildKit's rule), so a cached rebuild
        // reproduces the same config and image ID.
        var created = request.SourceDateEpoch ?? fs.Created ?? DateTimeOffset.UtcNow;
        var history = new List<HistoryEntry>(plan.BaseHistory);
        // Every step with a layer op adds a layer, empty or not (as in BuildKit); the others are empty_layer entries.
        foreach (var step in plan.History)
            history.Add(new HistoryEntry { Created = created, CreatedBy = step.CreatedBy, Comment = StageConverter.HistoryComment, EmptyLayer = step.Layer is null ? true : null });

        var config = new ImageConfig
        {
            Created = created,
            Author = plan.Author,
            // A platform asked for with --platform is the image's, whatever the base image said (BuildKit's rule for
            // an explicit target); without it the config keeps the base image's.
            Architecture = request.Platforms.Count > 0 ? platform.Architecture : plan.Architecture,
            Os = request.Platforms.Count > 0 ? platform.Os : plan.Os,
            Variant = request.Platforms.Count > 0 ? platform.Variant : plan.Variant,
            Config = plan.Config,
            RootFs = new RootFs { DiffIds = fs.Layers.Select(l => l.DiffId).ToList() },
            History = history,
        };
        IReadOnlyList<LayerBlob> layers = fs.Layers;
        if (request.Squash)
        {
            var (root, baseImageId) = BaseOf(plan.Fs);
            var baseFs = await solver.ResultOf(graph.VertexOf(root), ct).ConfigureAwait(false);
            (config, layers) = await SquashedImage.SquashAsync(workspace, store.Content, config, fs, baseFs, baseImageId,
                plan.BaseHistory.Count, request.SourceDateEpoch, ct).ConfigureAwait(false);
        }
        var image = new ImageWriter(store.Content).Write(config, layers.Select(l => l.Blob).ToList());
        foreach (var destination in request.CacheTo)
        {
            // min: the steps of the image's own layers; max: every step this build ran or hit, in every stage.
            var keys = destination.Mode == CacheMode.Max
                ? cache.Used.Select(k => k.ToString()).ToHashSet(StringComparer.Ordinal)
                : (await Task.WhenAll(plan.History.Where(h => h.Layer is not null).Select(h => solver.KeyOf(graph.VertexOf(h.Layer!), ct))).ConfigureAwait(false))
                    .Select(k => k.ToString()).ToHashSet(StringComparer.Ordinal);
            var records = database.ListCacheRecords().Where(r => keys.Contains(r.Key)).ToList();
            // Cache mounts: those the build's RUNs name, and those with from= it used (their name follows a stage's content).
            var cacheMounts = destination.CacheMounts
                ? await graph.CacheMounts.ArchiveAsync(CacheMountDirectories.NamesIn(plan.Fs).Concat(graph.CacheMounts.Used), store.Content, ct).ConfigureAwait(false)
                : [];
            await CacheExport.ExportAsync(destination, records, cacheMounts, store, environment.Registries, log, ct).ConfigureAwait(false);
        }
        // The layers below the build's own steps are the base image's (an export keeps their bytes unless forced).
        var baseLayers = Math.Max(0, fs.Layers.Count - plan.History.Count(h => h.Layer is not null));
        return new BuildResult(image.ImageId, image.Manifest, config, frontend.Warnings, baseLayers, recorded);
    }

    /// <summary>
    /// A cache hit does not solve its inputs, but a rebuild lists each step of the image (FROM included) as CACHED, as
    /// BuildKit's progress does: resolving a layer step and the state it starts from (input 0) is a cache lookup that
    /// reports them (and puts them in the build's record).
    /// </summary>
    private static async Task ResolveHistoryStepsAsync(Solver<FsState> solver, ExecutorGraph graph, StagePlan plan, CancellationToken ct)
    {
        foreach (var step in plan.History)
            if (step.Layer is { } layer)
                foreach (var node in layer.Inputs.Take(1).Append(layer))
                    await solver.ResultOf(graph.VertexOf(node), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The state the final stage's chain starts from (every step's input 0 is the state it changes): the base image's,
    /// or scratch's; with the base image's ID (null for scratch).
    /// </summary>
    private (OpNode Root, Digest? ImageId) BaseOf(OpNode node)
    {
        while (node.Inputs.Count > 0) node = node.Inputs[0];
        return (node, node.Op is ImageOp image ? store.ReadManifest(image.Manifest).Config.Digest : null);
    }
}
