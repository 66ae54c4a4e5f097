using Sbuild.Core;

namespace Sbuild.Solver;

/// <summary>
/// One operation of the build graph. The cache key of a vertex is derived from <see cref="DefinitionDigestAsync"/>
/// and the keys of its inputs, so it is known before anything runs (BuildKit's content-addressed vertices).
/// </summary>
public interface IOp<TResult>
{
    /// <summary>What progress output shows, e.g. <c>[build 2/4] RUN make</c>.</summary>
    string Name { get; }

    /// <summary>False for ops whose work is cheaper than a cache lookup or whose result lives elsewhere (e.g. base images).</summary>
    bool Cacheable => true;

    /// <summary>Digest of everything that determines the result apart from the inputs: the op's definition and any content it reads.</summary>
    ValueTask<Digest> DefinitionDigestAsync(CancellationToken ct);

    Task<TResult> ExecuteAsync(IReadOnlyList<TResult> inputs, CancellationToken ct);
}

/// <summary>A node of the build DAG: an op and the vertices whose results it consumes, in order.</summary>
public sealed class Vertex<TResult>(IOp<TResult> op, IReadOnlyList<Vertex<TResult>> inputs)
{
    public Vertex(IOp<TResult> op, params Vertex<TResult>[] inputs) : this(op, (IReadOnlyList<Vertex<TResult>>)inputs) { }

    public IOp<TResult> Op { get; } = op;
    public IReadOnlyList<Vertex<TResult>> Inputs { get; } = inputs;

    /// <summary>Run even if the cache has a result (<c>--no-cache-filter</c>); whatever consumes this vertex runs too.</summary>
    public bool IgnoreCache { get; init; }
}
