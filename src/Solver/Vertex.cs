using Sbuild.Core;

namespace Sbuild.Solver;

/// <summary>
/// One operation of the build graph. Its cache key comes from <see cref="CacheKeyAsync"/> over the keys of its inputs,
/// so for most ops it is known before anything runs (BuildKit's content-addressed vertices); an input the op reads
/// only part of (<see cref="KeysInputByContent"/>) is solved first and stands in the key by the digest of what is read.
/// </summary>
public interface IOp<TResult>
{
    /// <summary>What progress output shows, e.g. <c>[build 2/4] RUN make</c>.</summary>
    string Name { get; }

    /// <summary>False for ops whose work is cheaper than a cache lookup or whose result lives elsewhere (e.g. base images).</summary>
    bool Cacheable => true;

    /// <summary>
    /// The cache key: everything that determines the result, given <paramref name="inputs"/> (per input, its cache key or,
    /// for inputs keyed by content, <see cref="InputContentDigestAsync"/>), in order.
    /// </summary>
    ValueTask<Digest> CacheKeyAsync(IReadOnlyList<Digest> inputs, CancellationToken ct);

    /// <summary>Whether input <paramref name="index"/> enters the key by the content the op reads from it, not by its key.</summary>
    bool KeysInputByContent(int index) => false;

    /// <summary>Digest of what the op reads from input <paramref name="index"/>'s result (only asked where <see cref="KeysInputByContent"/>).</summary>
    ValueTask<Digest> InputContentDigestAsync(int index, TResult input, CancellationToken ct) =>
        throw new NotSupportedException($"{Name} keys no input by content");

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
