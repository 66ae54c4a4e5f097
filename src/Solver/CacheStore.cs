using Sbuild.Core;

namespace Sbuild.Solver;

/// <summary>Maps cache keys to results of earlier solves.</summary>
public interface ICacheStore<TResult> where TResult : class
{
    /// <summary>The result recorded for <paramref name="key"/>, or null; may fetch it (e.g. from an imported cache).</summary>
    ValueTask<TResult?> GetAsync(Digest key, CancellationToken ct);

    /// <param name="description">What made the result (the step's progress name), for listings of the cache.</param>
    void Put(Digest key, TResult result, string description);
}

/// <summary>
/// <c>--no-cache</c>: nothing is answered from <paramref name="inner"/>, so every step runs, but what runs is still
/// recorded there, so the next build without the flag is cached again (BuildKit's behaviour).
/// </summary>
public sealed class RecordOnlyCacheStore<TResult>(ICacheStore<TResult> inner) : ICacheStore<TResult> where TResult : class
{
    public ValueTask<TResult?> GetAsync(Digest key, CancellationToken ct) => ValueTask.FromResult<TResult?>(null);

    public void Put(Digest key, TResult result, string description) => inner.Put(key, result, description);
}
