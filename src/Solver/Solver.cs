using System.Diagnostics;
using Sbuild.Core;

namespace Sbuild.Solver;

public enum VertexStatus { Started, Cached, Completed, Failed }

/// <summary>A progress event for one vertex, named by its op.</summary>
/// <param name="CacheMiss">On <see cref="VertexStatus.Started"/> of a vertex the cache missed: why, in one line (or null).</param>
public sealed record SolveEvent(string Name, VertexStatus Status, TimeSpan Elapsed, Exception? Error = null, string? CacheMiss = null);

/// <summary>
/// Solves a DAG: computes a vertex's cache key before running it, reuses cached results (without solving the inputs of a
/// cached vertex), and runs the rest with each vertex starting as soon as its inputs are done (independent branches
/// run in parallel). A vertex shared by several consumers runs once.
/// </summary>
public sealed class Solver<TResult>(ICacheStore<TResult> cache, IProgress<SolveEvent>? progress = null, ISolveObserver<TResult>? observer = null)
    where TResult : class
{
    private readonly Dictionary<Vertex<TResult>, Task<Digest>> _keys = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Vertex<TResult>, Task<TResult>> _results = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Vertex<TResult>, bool> _forced = new(ReferenceEqualityComparer.Instance);
    // What each key was made from, for the observer.
    private readonly Dictionary<Vertex<TResult>, Digest[]> _keyInputs = new(ReferenceEqualityComparer.Instance);
    // Cache lookups made ahead of their solve (IsCachedAsync), hit or miss (null), taken by it.
    private readonly Dictionary<Vertex<TResult>, TResult?> _lookedUp = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _gate = new();

    public async Task<TResult> SolveAsync(Vertex<TResult> target, CancellationToken ct)
    {
        await KeyOf(target, ct).ConfigureAwait(false);
        return await ResultOf(target, ct).ConfigureAwait(false);
    }

    /// <summary>The cache key, from the op and its inputs' keys (or, for inputs it keys by content, what it reads of their results).</summary>
    public Task<Digest> KeyOf(Vertex<TResult> vertex, CancellationToken ct)
    {
        lock (_gate)
        {
            if (!_keys.TryGetValue(vertex, out var task))
            {
                task = ComputeKeyAsync(vertex, ct);
                _keys[vertex] = task;
            }
            return task;
        }
    }

    private async Task<Digest> ComputeKeyAsync(Vertex<TResult> vertex, CancellationToken ct)
    {
        var op = vertex.Op;
        var inputs = await Task.WhenAll(vertex.Inputs.Select(async (input, i) => op.KeysInputByContent(i)
            ? await op.InputContentDigestAsync(i, await ResultOf(input, ct).ConfigureAwait(false), ct).ConfigureAwait(false)
            : await KeyOf(input, ct).ConfigureAwait(false))).ConfigureAwait(false);
        lock (_gate) _keyInputs[vertex] = inputs;
        return await op.CacheKeyAsync(inputs, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether <paramref name="vertex"/> will come from the cache, looked up now without solving it or reporting
    /// anything; its solve then takes what was found here (a hit, or the miss) instead of asking the cache again. A caller can so report a cached graph's steps in their own
    /// order before the target.
    /// </summary>
    public async Task<bool> IsCachedAsync(Vertex<TResult> vertex, CancellationToken ct)
    {
        var key = await KeyOf(vertex, ct).ConfigureAwait(false);
        if (!vertex.Op.Cacheable || MustRun(vertex)) return false;
        var cached = await cache.GetAsync(key, ct).ConfigureAwait(false);
        lock (_gate) _lookedUp[vertex] = cached;
        return cached is not null;
    }

    /// <summary>The result of <paramref name="vertex"/>, solving it (and its inputs) if this solver has not yet.</summary>
    public Task<TResult> ResultOf(Vertex<TResult> vertex, CancellationToken ct)
    {
        lock (_gate)
        {
            if (!_results.TryGetValue(vertex, out var task))
            {
                task = Task.Run(() => ExecuteAsync(vertex, ct), ct);
                _results[vertex] = task;
            }
            return task;
        }
    }

    /// <summary>
    /// Whether the vertex or anything it consumes ignores the cache: a re-run input may give another result than the
    /// one the consumer's cache entry was made from (keys follow definitions, not results), so consumers run too.
    /// </summary>
    private bool MustRun(Vertex<TResult> vertex)
    {
        lock (_gate)
        {
            if (_forced.TryGetValue(vertex, out var known)) return known;
        }
        var forced = vertex.IgnoreCache || vertex.Inputs.Any(MustRun);
        lock (_gate) _forced[vertex] = forced;
        return forced;
    }

    private async Task<TResult> ExecuteAsync(Vertex<TResult> vertex, CancellationToken ct)
    {
        var key = await KeyOf(vertex, ct).ConfigureAwait(false);
        var op = vertex.Op;
        var clock = Stopwatch.StartNew();
        // A hit needs nothing from the inputs: they are not solved (no base image unpacked, no earlier step re-checked)
        // unless another consumer asks for them.
        var asked = op.Cacheable && !MustRun(vertex);
        TResult? cached = null;
        if (asked)
        {
            bool lookedUp;
            lock (_gate) lookedUp = _lookedUp.Remove(vertex, out cached);
            if (!lookedUp) cached = await cache.GetAsync(key, ct).ConfigureAwait(false);
        }
        if (cached is not null)
        {
            Observe(vertex, key, SolveOutcome.Cached);
            progress?.Report(new SolveEvent(op.Name, VertexStatus.Cached, clock.Elapsed));
            return cached;
        }
        var miss = Observe(vertex, key, asked ? SolveOutcome.Missed : SolveOutcome.Uncached);
        var inputs = await Task.WhenAll(vertex.Inputs.Select(i => ResultOf(i, ct))).ConfigureAwait(false);
        clock.Restart();
        progress?.Report(new SolveEvent(op.Name, VertexStatus.Started, TimeSpan.Zero, CacheMiss: miss));
        try
        {
            var result = await op.ExecuteAsync(inputs, ct).ConfigureAwait(false);
            if (op.Cacheable) cache.Put(key, result, op.Name);
            progress?.Report(new SolveEvent(op.Name, VertexStatus.Completed, clock.Elapsed));
            return result;
        }
        catch (Exception e)
        {
            progress?.Report(new SolveEvent(op.Name, VertexStatus.Failed, clock.Elapsed, e));
            throw;
        }
    }

    private string? Observe(Vertex<TResult> vertex, Digest key, SolveOutcome outcome)
    {
        if (observer is null) return null;
        Digest[] inputs;
        lock (_gate) inputs = _keyInputs[vertex];
        return observer.Answered(vertex, key, inputs, outcome);
    }
}
