namespace Sbuild.Core;

/// <summary>
/// The store's reader/writer lock between processes (a <see cref="FileLock"/> on <c>STORE/store.lock</c>): every command
/// that adds to the store or relies on what it has (build, pull, push, import) holds it shared for its whole run;
/// pruning holds it exclusively, so nothing a running command may still use or is about to reference is removed.
/// </summary>
public static class StoreLock
{
    /// <summary>Waits up to <paramref name="timeout"/> for a shared hold; many processes may hold it at once.</summary>
    public static FileLock Shared(string storeRoot, TimeSpan timeout) =>
        FileLock.TryHold(PathIn(storeRoot), exclusive: false, timeout) ?? throw TimedOut(storeRoot, "a prune");

    /// <summary>Waits up to <paramref name="timeout"/> until no other process holds the lock at all.</summary>
    public static FileLock Exclusive(string storeRoot, TimeSpan timeout) =>
        FileLock.TryHold(PathIn(storeRoot), exclusive: true, timeout) ?? throw TimedOut(storeRoot, "running builds");

    /// <summary>The exclusive hold if no other process holds the lock now, else null (no waiting).</summary>
    public static FileLock? TryExclusive(string storeRoot) => FileLock.TryHold(PathIn(storeRoot), exclusive: true, TimeSpan.Zero);

    private static string PathIn(string storeRoot) => Path.Combine(Directory.CreateDirectory(storeRoot).FullName, "store.lock");

    private static SbuildException TimedOut(string storeRoot, string holder) =>
        new(ErrorCode.StoreBusy, $"the store {storeRoot} stayed locked by {holder} in another sbuild process; try again when it ends");
}
