using Sbuild.Engine.Executors;
using Sbuild.Core;
using Sbuild.Frontend;
using Sbuild.Runner;
using Sbuild.Runner.Seccomp;
using Sbuild.Solver;

namespace Sbuild.Engine;

/// <summary>
/// Turns the frontend's op graph into solver vertices: one executor per op, each given the services it needs and no
/// more. One node becomes one vertex however many consumers it has. Owns the per-build temp directory (heredoc files,
/// downloads, git fetches) and the HTTP client of ADD, both released on dispose.
/// </summary>
public sealed class ExecutorGraph : IDisposable
{
    private readonly Dictionary<OpNode, Vertex<FsState>> _vertices = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Vertex<FsState>, OpNode> _nodes = new(ReferenceEqualityComparer.Instance);
    private readonly ImageStore _store;
    private readonly BuildEnvironment _environment;
    private readonly IBuildLog _log;
    private readonly SnapshotWorkspace _workspace;
    private readonly LocalContext _context;
    private readonly StateContentDigests _selections;
    private readonly CacheMountDirectories _cacheMounts;
    private readonly IReadOnlyDictionary<string, BuildSecret> _secrets;
    private readonly IReadOnlyDictionary<string, SshAgentSocket> _sshAgents;
    private readonly SeccompProfile? _seccomp;
    private readonly RunLimits _limits;
    private readonly Debugging.BuildJournal _journal;
    private readonly string _scratch;
    // Created on the first ADD of a URL only (ops may ask in parallel); the per-read stall timeout replaces HttpClient's overall one.
    private readonly Lazy<HttpClient> _http = new(() => new HttpClient { Timeout = Timeout.InfiniteTimeSpan });

    public ExecutorGraph(ImageStore store, BuildEnvironment environment, SnapshotWorkspace workspace, LocalContext context, IBuildLog log,
        IReadOnlyDictionary<string, BuildSecret> secrets, IReadOnlyDictionary<string, SshAgentSocket> sshAgents, SeccompProfile? seccomp,
        RunLimits limits, Debugging.BuildJournal journal)
    {
        _limits = limits;
        _journal = journal;
        _secrets = secrets;
        _sshAgents = sshAgents;
        _seccomp = seccomp;
        _store = store;
        _environment = environment;
        _workspace = workspace;
        _context = context;
        _log = log;
        _selections = new StateContentDigests(workspace, Path.Combine(store.Root, "cache", "selections"));
        _cacheMounts = new CacheMountDirectories(Path.Combine(store.Root, "cache-mounts"));
        _scratch = Directory.CreateDirectory(Path.Combine(StoreLeases.Directory(store.Root, "tmp"), "build-" + Guid.NewGuid().ToString("N"))).FullName;
    }

    /// <summary>The build's <c>RUN --mount=type=cache</c> directories (what <c>--cache-to …,cache-mounts=true</c> exports).</summary>
    public CacheMountDirectories CacheMounts => _cacheMounts;

    /// <summary>The content digests (and their file lists) of what COPY --from and RUN --mount read from other stages.</summary>
    public StateContentDigests Selections => _selections;

    public Vertex<FsState> VertexOf(OpNode node)
    {
        if (_vertices.TryGetValue(node, out var known)) return known;
        var vertex = new Vertex<FsState>(Executor(node), node.Inputs.Select(VertexOf).ToList()) { IgnoreCache = node.IgnoreCache };
        _vertices[node] = vertex;
        _nodes[vertex] = node;
        return vertex;
    }

    /// <summary>The node <paramref name="vertex"/> was made from (the graph is complete before solving starts).</summary>
    public OpNode NodeOf(Vertex<FsState> vertex) => _nodes[vertex];

    private IOp<FsState> Executor(OpNode node) => node.Op switch
    {
        ScratchOp op => new ScratchExecutor(op, node.Description),
        ImageOp op => new ImageExecutor(op, node.Description, _store),
        ExecOp op => new ExecExecutor(op, node.Description, _environment.GetRunner, _workspace, _scratch, _log, _context, _selections, _cacheMounts, _secrets, _sshAgents, _seccomp, _limits, _journal),
        CopyOp op => new CopyExecutor(op, node.Description, _context, _workspace, _selections, _scratch),
        AddOp op => new AddExecutor(op, node.Description, _context, _workspace, () => new UrlSource(_http.Value, TimeSpan.FromSeconds(60)), _scratch),
        MkdirOp op => new MkdirExecutor(op, node.Description, _workspace),
        GitOp op => new GitExecutor(op, node.Description, _workspace, _scratch),
        _ => throw new SbuildException(ErrorCode.UnsupportedInstruction, $"{node.Description.Name}: no executor for {node.Op.GetType().Name}"),
    };

    public void Dispose()
    {
        if (_http.IsValueCreated) _http.Value.Dispose();
        TreeRemover.Delete(_scratch);
    }
}
