using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sbuild.Core;

/// <summary>
/// The store's reader/writer lock between processes (flock on <c>STORE/store.lock</c>): every command that adds to the
/// store or relies on what it has (build, pull, push, import) holds it shared for its whole run; pruning holds it
/// exclusively, so nothing a running command may still use or is about to reference is removed. The kernel drops a
/// flock when its holder dies, so a crash never leaves the store locked.
/// </summary>
public sealed partial class StoreLock : IDisposable
{
    private const int LockShared = 1, LockExclusive = 2, LockNonBlocking = 4;
    private const int OpenReadWrite = 2, OpenCreate = 0x40, OpenCloseOnExec = 0x80000;
    private readonly SafeFileHandle _handle;

    private StoreLock(SafeFileHandle handle) => _handle = handle;

    /// <summary>Waits (polling, up to <paramref name="timeout"/>) for a shared hold; many processes may hold it at once.</summary>
    public static StoreLock Shared(string storeRoot, TimeSpan timeout) =>
        Acquire(storeRoot, LockShared, timeout) ?? throw TimedOut(storeRoot, "a prune");

    /// <summary>Waits (polling, up to <paramref name="timeout"/>) until no other process holds the lock at all.</summary>
    public static StoreLock Exclusive(string storeRoot, TimeSpan timeout) =>
        Acquire(storeRoot, LockExclusive, timeout) ?? throw TimedOut(storeRoot, "running builds");

    /// <summary>The exclusive hold if no other process holds the lock now, else null (no waiting).</summary>
    public static StoreLock? TryExclusive(string storeRoot) => Acquire(storeRoot, LockExclusive, TimeSpan.Zero);

    /// <summary>The same flock on any lock file (e.g. one cache mount's): exclusive, waiting up to <paramref name="timeout"/>; null if it stayed taken.</summary>
    public static StoreLock? ExclusiveFile(string lockFile, TimeSpan timeout) => AcquireFile(lockFile, LockExclusive, timeout);

    public void Dispose() => _handle.Dispose();

    private static StoreLock? Acquire(string storeRoot, int mode, TimeSpan timeout)
    {
        Directory.CreateDirectory(storeRoot);
        return AcquireFile(Path.Combine(storeRoot, "store.lock"), mode, timeout);
    }

    private static StoreLock? AcquireFile(string path, int mode, TimeSpan timeout)
    {
        // Opened with open(2), not File.OpenHandle: .NET takes a flock of its own when it opens a file, which would fail
        // (instead of waiting) while another process holds this lock exclusively.
        var fd = Open(path, OpenReadWrite | OpenCreate | OpenCloseOnExec, 0x1A4);
        if (fd < 0) throw new SbuildException(ErrorCode.FileSystem, $"open {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (Flock(handle, mode | LockNonBlocking) == 0) return new StoreLock(handle);
            var errno = Marshal.GetLastPInvokeError();
            if (errno != 11 /* EWOULDBLOCK */ && errno != 4 /* EINTR */)
            {
                handle.Dispose();
                throw new SbuildException(ErrorCode.FileSystem, $"flock {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
            if (DateTime.UtcNow >= deadline)
            {
                handle.Dispose();
                return null;
            }
            Thread.Sleep(50);
        }
    }

    private static SbuildException TimedOut(string storeRoot, string holder) =>
        new(ErrorCode.StoreBusy, $"the store {storeRoot} stayed locked by {holder} in another sbuild process; try again when it ends");

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(SafeFileHandle fd, int operation);
}
