namespace Sbuild.Core;

/// <summary>
/// Synchronous work that a cancellation must not wait for: a read that can block for ever (a FIFO's open, standard
/// input that never ends) or a long computation without cancellation points (planning a huge Dockerfile). The work runs
/// on a thread of its own; cancelling returns at once with an <see cref="OperationCanceledException"/> and leaves the
/// work to finish or to end with the process. Only for work that writes nothing a caller must clean up.
/// </summary>
public static class AbandonableWork
{
    public static Task<T> RunAsync<T>(Func<T> work, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        // LongRunning: a thread of its own, so a blocked read never holds one of the pool's few threads.
        return Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).WaitAsync(ct);
    }
}
