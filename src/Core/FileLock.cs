using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sbuild.Core;

/// <summary>
/// An flock on a lock file, shared by threads and processes: each hold opens the file anew, so two holders in one
/// process exclude each other like two processes do. Waiting is polling (flock with LOCK_NB) up to a timeout. The
/// kernel drops a flock when its holder dies, so a crash never leaves a lock taken. Dispose to release.
/// </summary>
public sealed partial class FileLock : IDisposable
{
    private const int LockShared = 1, LockExclusive = 2, LockNonBlocking = 4;
    private const int OpenReadWrite = 2, OpenCreate = 0x40, OpenCloseOnExec = 0x80000;
    private readonly SafeFileHandle _handle;

    private FileLock(SafeFileHandle handle) => _handle = handle;

    /// <summary>An exclusive hold of <paramref name="path"/>; a lock still taken after <paramref name="timeout"/> is an error.</summary>
    public static FileLock Acquire(string path, TimeSpan timeout) =>
        TryHold(path, exclusive: true, timeout)
        ?? throw new SbuildException(ErrorCode.StoreCorrupt, $"timed out waiting for {path}: another sbuild process holds it");

    /// <summary>A shared or exclusive hold of <paramref name="path"/>, waiting up to <paramref name="timeout"/>; null if it stayed taken.</summary>
    public static FileLock? TryHold(string path, bool exclusive, TimeSpan timeout)
    {
        // Opened with open(2), not File.OpenHandle: .NET takes a flock of its own when it opens a file, which would fail
        // (instead of waiting) while another holder has it exclusively.
        var fd = Open(path, OpenReadWrite | OpenCreate | OpenCloseOnExec, 0x1A4);
        if (fd < 0) throw new SbuildException(ErrorCode.FileSystem, $"open {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (Flock(handle, (exclusive ? LockExclusive : LockShared) | LockNonBlocking) == 0) return new FileLock(handle);
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
            Thread.Sleep(10);
        }
    }

    public void Dispose() => _handle.Dispose();

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(SafeFileHandle fd, int operation);
}
