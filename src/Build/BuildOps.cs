using System.Text;
using System.Text.Json;
using Sbuild.Archive.Compression;
using Sbuild.Core;
using Sbuild.Core.Metadata;
using Sbuild.Exporter;
using Sbuild.Parser;
using Sbuild.Runner;
using Sbuild.Snapshotter;
using Sbuild.Solver;

namespace Sbuild.Build;

/// <summary>
/// The ops of a Dockerfile build over the local store: base images unpacked into committed snapshots (one per layer,
/// named by chain ID, shared by every build), and RUN/COPY/WORKDIR steps that each change a fresh snapshot and
/// record the change as a layer.
/// </summary>
public sealed class BuildOps : IBuildOps, IDisposable
{
    private readonly ImageStore _store;
    private readonly BuildEnvironment _environment;
    private readonly BuildRequest _request;
    private readonly IBuildLog _log;
    private readonly SnapshotWorkspace _workspace;
    private readonly string _scratch;
    private readonly DockerIgnore _ignore;
    private readonly Dictionary<string, (Vertex<FsState>, ImageConfig)> _baseImages = [];
    private readonly CancellationToken _planning;
    private readonly StoreDatabase _db;

    public BuildOps(ImageStore store, BuildEnvironment environment, BuildRequest request, IBuildLog log, CancellationToken planning)
    {
        _planning = planning;
        _store = store;
        _environment = environment;
        _request = request;
        _log = log;
        _db = StoreDatabase.Open(store.Root);
        _workspace = new SnapshotWorkspace(store, request.SourceDateEpoch);
        // Per-build scratch space (here-document files, downloads), removed when the build ends.
        _scratch = Directory.CreateDirectory(Path.Combine(store.Root, "tmp", "build-" + Guid.NewGuid().ToString("N"))).FullName;
        _ignore = LoadIgnore(request);
        Cache = new DiskCacheStore<FsState>(Path.Combine(store.Root, "cache"), BuildJsonContext.Default.FsState,
            state => state.Snapshot is null || _workspace.Snapshotter.Exists(state.Snapshot));
    }

    public ICacheStore<FsState> Cache { get; }

    // Created on the first ADD of a URL only (ops may ask in parallel); the per-read stall timeout replaces HttpClient's overall one.
    private readonly Lazy<HttpClient> _http = new(() => new HttpClient { Timeout = Timeout.InfiniteTimeSpan });
    private UrlSource Downloads => new(_http.Value, TimeSpan.FromSeconds(60));

    public Vertex<FsState> Scratch() => new(new ScratchOp());

    public (Vertex<FsState> Fs, ImageConfig Config) BaseImage(string reference, string label, SourceLocation at)
    {
        if (_baseImages.TryGetValue(reference, out var known)) return known;
        if (!ImageReference.TryParse(reference, out var parsed))
            throw new DockerfileException(ErrorCode.InvalidReference, at, $"invalid image name \"{reference}\"");
        StoredImage image;
        try
        {
            // Planning needs the image's config now (ENV, WORKDIR, ONBUILD of the base shape the steps), so a pull
            // happens here; the frontend's planning is synchronous until the engine turns it into op definitions.
            image = _environment.Images.GetAsync(parsed, Platform.Host, _planning).GetAwaiter().GetResult();
        }
        catch (SbuildException e) when (e is not DockerfileException)
        {
            throw new DockerfileException(e.Code, at, e.Message);
        }
        var manifest = _store.ReadManifest(image.Manifest.Digest);
        var config = _store.ReadConfig(manifest.Config.Digest);
        var result = (new Vertex<FsState>(new BaseImageOp(label, image.Manifest.Digest, manifest, config, _workspace, _store.Content)), config);
        _baseImages[reference] = result;
        return result;
    }

    public Vertex<FsState> Exec(Vertex<FsState> parent, ExecStep step, string label) =>
        new(new ExecOp(label, step, this), parent);

    public Vertex<FsState> CopyFromContext(Vertex<FsState> parent, CopyStep step, string label) =>
        new(new CopyOp(label, step, _request.ContextDir, _ignore, _workspace, _db), parent);

    public Vertex<FsState> CopyInline(Vertex<FsState> parent, IReadOnlyList<InlineFile> files, CopyStep step, string label) =>
        new(new CopyInlineOp(label, files, step, this), parent);

    public Vertex<FsState> Add(Vertex<FsState> parent, AddStep step, string label) =>
        new(new AddOp(label, step, this), parent);

    public Vertex<FsState> CopyFromState(Vertex<FsState> parent, Vertex<FsState> source, CopyStep step, string label) =>
        new(new CopyOp(label, step, null, DockerIgnore.Empty, _workspace, null), parent, source);

    public Vertex<FsState> Mkdir(Vertex<FsState> parent, string path, string user, string label) =>
        new(new MkdirOp(label, path, user, _workspace), parent);

    public void Dispose()
    {
        if (_http.IsValueCreated) _http.Value.Dispose();
        Directory.Delete(_scratch, recursive: true);
        _db.Dispose();
    }

    /// <summary><c>Dockerfile.dockerignore</c> beside the Dockerfile wins over <c>.dockerignore</c> in the context root.</summary>
    private static DockerIgnore LoadIgnore(BuildRequest request)
    {
        var specific = request.DockerfilePath + ".dockerignore";
        var path = File.Exists(specific) ? specific : Path.Combine(request.ContextDir, ".dockerignore");
        return File.Exists(path) ? DockerIgnore.Parse(File.ReadAllText(path), path) : DockerIgnore.Empty;
    }

    private static Digest DefinitionDigest(string type, params string[] fields)
    {
        var json = JsonSerializer.Serialize(fields.Prepend(type).ToList(), BuildJsonContext.Default.IReadOnlyListString);
        return Digest.Of(Encoding.UTF8.GetBytes(json));
    }

    private sealed class ScratchOp : IOp<FsState>
    {
        public string Name => "[internal] scratch";
        public bool Cacheable => false;
        public ValueTask<Digest> DefinitionDigestAsync(CancellationToken ct) => ValueTask.FromResult(DefinitionDigest("scratch"));
        public Task<FsState> ExecuteAsync(IReadOnlyList<FsState> inputs, CancellationToken ct) => Task.FromResult(FsState.Empty);
    }

    /// <summary>Unpacks an image's layers into one committed snapshot per layer (skipping those already there).</summary>
    private sealed class BaseImageOp(string label, Digest manifestDigest, ImageManifest manifest, ImageConfig config, SnapshotWorkspace workspace, IContentStore content) : IOp<FsState>
    {
        public string Name => label;
        public bool Cacheable => false; // the chain-ID snapshots are the cache
        public ValueTask<Digest> DefinitionDigestAsync(CancellationToken ct) => ValueTask.FromResult(DefinitionDigest("image", manifestDigest.ToString()));

        public async Task<FsState> ExecuteAsync(IReadOnlyList<FsState> inputs, CancellationToken ct)
        {
            if (manifest.Layers.Count != config.RootFs.DiffIds.Count)
                throw new SbuildException(ErrorCode.StoreCorrupt, $"image {manifestDigest} has {manifest.Layers.Count} layers but {config.RootFs.DiffIds.Count} diff_ids");
            string? parent = null;
            Digest? chain = null;
            var layers = new List<LayerBlob>();
            for (var i = 0; i < manifest.Layers.Count; i++)
            {
                var blob = manifest.Layers[i];
                var diffId = config.RootFs.DiffIds[i];
                chain = chain is { } below ? Digest.Of(Encoding.UTF8.GetBytes($"{below} {diffId}")) : diffId;
                parent = await workspace.EnsureLayerAsync("layer-" + chain.Value.Encoded, parent,
                    (stream, token) => OpenLayer(content, blob, stream, token), ct).ConfigureAwait(false);
                layers.Add(new LayerBlob(diffId, blob with { MediaType = MediaTypes.LayerAsOci(blob.MediaType) }));
            }
            return new FsState(parent, layers, config.Created);
        }

        private static async Task OpenLayer(IContentStore content, Descriptor blob, Func<Stream, Task> apply, CancellationToken ct)
        {
            await using var raw = content.OpenRead(blob.Digest);
            var tar = Decompression.Open(raw, blob.MediaType switch
            {
                MediaTypes.OciLayerGzip or MediaTypes.DockerLayerGzip => ArchiveCompression.Gzip,
                MediaTypes.OciLayerZstd => ArchiveCompression.Zstd,
                MediaTypes.OciLayer or MediaTypes.DockerLayer => ArchiveCompression.None,
                _ => throw new SbuildException(ErrorCode.InvalidArchive, $"layer {blob.Digest} has unsupported media type {blob.MediaType}"),
            });
            await using (tar) await apply(tar).ConfigureAwait(false);
        }
    }

    private sealed class ExecOp(string label, ExecStep step, BuildOps owner) : IOp<FsState>
    {
        public string Name => label;

        public ValueTask<Digest> DefinitionDigestAsync(CancellationToken ct) =>
            ValueTask.FromResult(DefinitionDigest("exec", [JsonSerializer.Serialize(step.Args, BuildJsonContext.Default.IReadOnlyListString),
                JsonSerializer.Serialize(step.Env, BuildJsonContext.Default.IReadOnlyListString), step.Cwd, step.User, step.Network.ToString(),
                .. step.Scripts.SelectMany(f => new[] { f.Name, f.Content })]));

        public async Task<FsState> ExecuteAsync(IReadOnlyList<FsState> inputs, CancellationToken ct)
        {
            var runner = await owner._environment.GetRunner(ct).ConfigureAwait(false);
            using var scripts = new InlineFiles(owner._scratch, step.Scripts, mode: 0x1ED);
            return await owner._workspace.ChangeAsync(inputs[0], async rootfs =>
            {
                var spec = new RunSpec
                {
                    RootfsPath = rootfs,
                    Args = step.Args,
                    Env = [.. step.Env, .. step.ProxyEnv],
                    Cwd = step.Cwd,
                    User = UserResolver.Resolve(rootfs, step.User),
                    Network = step.Network,
                    Mounts = step.Scripts.Select(f => new BindMount(scripts.PathOf(f.Name), $"{ExecStep.ScriptDirectory}/{f.Name}", ReadOnly: true)).ToList(),
                };
                var output = new RunOutput((_, line) => owner._log.Output(label, line));
                int exit;
                try
                {
                    exit = await runner.RunAsync(spec, output, ct).ConfigureAwait(false);
                }
                catch (SbuildException e) when (e.Code == ErrorCode.RuntimeFailed)
                {
                    // The process never started (e.g. no such executable): say so at the RUN's line.
                    throw new DockerfileException(ErrorCode.RunFailed, step.Location, $"RUN could not start {string.Join(' ', step.Args)}: {e.Message}");
                }
                if (exit != 0)
                {
                    var tail = output.Tail.Count == 0 ? "(no output)" : string.Join("\n", output.Tail.Select(l => "  " + l));
                    throw new DockerfileException(ErrorCode.RunFailed, step.Location,
                        $"RUN failed with exit code {exit}: {string.Join(' ', step.Args)}\nlast output lines:\n{tail}");
                }
            }, ct).ConfigureAwait(false);
        }
    }

    private sealed class CopyOp(string label, CopyStep step, string? contextDir, DockerIgnore ignore, SnapshotWorkspace workspace, StoreDatabase? db) : IOp<FsState>
    {
        public string Name => label;

        public ValueTask<Digest> DefinitionDigestAsync(CancellationToken ct)
        {
            var o = step.Ownership;
            var content = contextDir is null ? "stage" : step.At(() => ContextChecksum.Compute(contextDir, step.Sources, ignore, FileDigestCache.ForContext(db, contextDir)).ToString());
            return ValueTask.FromResult(DefinitionDigest("copy", [JsonSerializer.Serialize(step.Sources, BuildJsonContext.Default.IReadOnlyListString),
                step.Destination, $"{o.Uid}:{o.Gid}:{o.Mode}:{o.PreserveOwnership}:{step.Chown}", content]));
        }

        public async Task<FsState> ExecuteAsync(IReadOnlyList<FsState> inputs, CancellationToken ct)
        {
            if (contextDir is not null)
                return await workspace.ChangeAsync(inputs[0], rootfs => Copy(contextDir, rootfs), ct).ConfigureAwait(false);
            return await workspace.WithViewAsync(inputs[1], source => workspace.ChangeAsync(inputs[0], rootfs => Copy(source, rootfs), ct), ct).ConfigureAwait(false);
        }

        private Task Copy(string sourceRoot, string rootfs)
        {
            step.At(() => { FileCopier.Copy(sourceRoot, step.Sources, rootfs, step.Destination, step.OwnershipIn(rootfs), ignore); return 0; });
            return Task.CompletedTask;
        }
    }

    private sealed class CopyInlineOp(string label, IReadOnlyList<InlineFile> files, CopyStep step, BuildOps owner) : IOp<FsState>
    {
        public string Name => label;

        public ValueTask<Digest> DefinitionDigestAsync(CancellationToken ct)
        {
            var o = step.Ownership;
            return ValueTask.FromResult(DefinitionDigest("copy-inline", [step.Destination, $"{o.Uid}:{o.Gid}:{o.Mode}:{step.Chown}",
                .. files.SelectMany(f => new[] { f.Name, f.Content })]));
        }

        public async Task<FsState> ExecuteAsync(IReadOnlyList<FsState> inputs, CancellationToken ct)
        {
            using var sources = new InlineFiles(owner._scratch, files, mode: 0x1A4);
            return await owner._workspace.ChangeAsync(inputs[0], rootfs =>
            {
                FileCopier.Copy(sources.Directory, files.Select(f => f.Name).ToList(), rootfs, step.Destination, step.OwnershipIn(rootfs));
                return Task.CompletedTask;
            }, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// ADD: URLs are downloaded (keyed by their content, as BuildKit does), local tar archives (plain, gzip, bzip2, xz,
    /// zstd; detected by content) are unpacked into the destination, everything else is copied like COPY.
    /// </summary>
    private sealed class AddOp(string label, AddStep step, BuildOps owner) : IOp<FsState>
    {
        private readonly Dictionary<string, DownloadedFile> _downloads = [];

        public string Name => label;

        public async ValueTask<Digest> DefinitionDigestAsync(CancellationToken ct)
        {
            var copy = step.Copy;
            var o = copy.Ownership;
            var parts = new List<string> { copy.Destination, $"{o.Uid}:{o.Gid}:{o.Mode}:{copy.Chown}:{step.Unpack}" };
            var local = copy.Sources.Where(s => !UrlSource.IsUrl(s)).ToList();
            if (local.Count > 0)
                parts.Add(AtStep(() => ContextChecksum.Compute(owner._request.ContextDir, local, owner._ignore, FileDigestCache.ForContext(owner._db, owner._request.ContextDir))).ToString());
            foreach (var url in copy.Sources.Where(UrlSource.IsUrl))
            {
                var file = await AtStepAsync(() => owner.Downloads.DownloadAsync(url, owner._scratch, step.Checksum, ct)).ConfigureAwait(false);
                _downloads[url] = file;
                parts.Add($"{url} {file.Digest}");
            }
            return DefinitionDigest("add", [.. parts]);
        }

        public Task<FsState> ExecuteAsync(IReadOnlyList<FsState> inputs, CancellationToken ct) =>
            owner._workspace.ChangeAsync(inputs[0], async rootfs =>
            {
                var copy = step.Copy;
                var ownership = copy.OwnershipIn(rootfs);
                foreach (var source in copy.Sources)
                {
                    if (UrlSource.IsUrl(source))
                    {
                        AtStep(() => DownloadedFileInstaller.Install(_downloads[source], rootfs, copy.Destination, ownership));
                        continue;
                    }
                    foreach (var (relative, host) in AtStep(() => SourceMatcher.Expand(owner._request.ContextDir, source, owner._ignore)))
                    {
                        if (step.Unpack != false && ArchiveDetector.IsArchive(host))
                        {
                            // --chown owns the destination directory; unpacked entries keep the archive's owners
                            // (checked against docker build's BuildKit).
                            FileCopier.MakeDirectories(rootfs, copy.Destination, ownership.Uid ?? 0, ownership.Gid ?? 0);
                            await AtStepAsync(() => ArchiveExtractor.ExtractAsync(host, rootfs, copy.Destination, new CopyOwnership(null, null, null, true), ct)).ConfigureAwait(false);
                        }
                        else
                            AtStep(() => { FileCopier.Copy(owner._request.ContextDir, [relative], rootfs, copy.Destination, ownership, owner._ignore); return 0; });
                    }
                }
            }, ct);

        private T AtStep<T>(Func<T> action) => step.Copy.At(action);

        private Task<T> AtStepAsync<T>(Func<Task<T>> action) => step.Copy.AtAsync(action);

        private Task AtStepAsync(Func<Task> action) => step.Copy.AtAsync(async () => { await action().ConfigureAwait(false); return 0; });
    }

    private sealed class MkdirOp(string label, string path, string user, SnapshotWorkspace workspace) : IOp<FsState>
    {
        public string Name => label;
        public ValueTask<Digest> DefinitionDigestAsync(CancellationToken ct) => ValueTask.FromResult(DefinitionDigest("mkdir", path, user));

        public Task<FsState> ExecuteAsync(IReadOnlyList<FsState> inputs, CancellationToken ct) =>
            workspace.ChangeAsync(inputs[0], rootfs =>
            {
                var (uid, gid) = UserResolver.ResolveOwner(rootfs, user);
                FileCopier.MakeDirectories(rootfs, path, uid, gid);
                return Task.CompletedTask;
            }, ct);
    }
}
