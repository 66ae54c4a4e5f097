using System.Runtime.ExceptionServices;

namespace Sbuild.Core;

/// <summary>File work spread over the cores (hashing, copying many files), failing as a loop would.</summary>
public static class ParallelWork
{
    /// <summary>
    /// Runs <paramref name="body"/> for each item, as many at once as there are cores. An error is thrown as itself (the
    /// first one), not wrapped: the same exception a sequential loop would have thrown (a file removed, a full disk).
    /// </summary>
    public static void ForEach<T>(IEnumerable<T> items, Action<T> body, CancellationToken ct = default)
    {
        try
        {
            Parallel.ForEach(items, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct }, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }
}
