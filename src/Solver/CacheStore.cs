using Sbuild.Core;

namespace Sbuild.Solver;

/// <summary>Maps cache keys to results of earlier solves.</summary>
public interface ICacheStore<TResult>
{
    bool TryGet(Digest key, out TResult result);

    /// <param name="description">What made the result (the step's progress name), for listings of the cache.</param>
    void Put(Digest key, TResult result, string description);
}

/// <summary>
/// <c>--no-cache</c>: nothing is answered from <paramref name="inner"/>, so every step runs, but what runs is still
/// recorded there, so the next build without the flag is cached again (BuildKit's behaviour).
/// </summary>
public sealed class RecordOnlyCacheStore<TResult>(ICacheStore<TResult> inner) : ICacheStore<TResult>
{
    public bool TryGet(Digest key, out TResult result)
    {
        result = default!;
        return false;
    }

    public void Put(Digest key, TResult result, string description) => inner.Put(key, result, description);
}
