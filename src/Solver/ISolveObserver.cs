using Sbuild.Core;

namespace Sbuild.Solver;

/// <summary>How the solver answered a vertex.</summary>
public enum SolveOutcome
{
    /// <summary>The cache had its result.</summary>
    Cached,
    /// <summary>The cache was asked and had nothing: the vertex runs.</summary>
    Missed,
    /// <summary>The cache was not asked (an uncacheable op, or one that ignores the cache): the vertex runs.</summary>
    Uncached,
}

/// <summary>
/// Told, for each vertex the solver answers, its key, the digests its key was made from (per input, its key or the
/// content digest it reads) and the outcome, before any progress event of the vertex. Used to keep a record of every
/// step's cache inputs and to explain misses. Called from parallel branches: implementations are thread-safe.
/// </summary>
public interface ISolveObserver<TResult> where TResult : class
{
    /// <returns>For <see cref="SolveOutcome.Missed"/>, a one-line reason shown with the step's start (or null); ignored otherwise.</returns>
    string? Answered(Vertex<TResult> vertex, Digest key, IReadOnlyList<Digest> inputs, SolveOutcome outcome);
}
