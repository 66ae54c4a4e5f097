using System.Runtime.InteropServices;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>mount(2), umount2(2) and the working-directory calls used to shorten overlay options, via source-generated P/Invoke.</summary>
internal static partial class MountSyscalls
{
    public const int DetachFlag = 0x2; // MNT_DETACH
    private const int CloneFs = 0x200;

    public static void Mount(string source, string target, string? fsType, ulong flags, string? data, string description)
    {
        if (MountNative(source, target, fsType, flags, data) != 0)
        {
            var error = LastError();
            throw new SbuildException(ErrorCode.MountFailed, $"cannot mount {description} on {target}: {error}", new IOException(error));
        }
    }

    private const int Busy = 16; // EBUSY

    /// <summary>How long a busy target is retried before unmounting fails.</summary>
    private static readonly TimeSpan BusyWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Unmounts <paramref name="target"/>. A target busy for a moment is retried: a process another thread is starting
    /// holds copies of all our descriptors (one open in the mount, say) between fork and exec.
    /// </summary>
    public static void Unmount(string target, int flags)
    {
        var deadline = DateTime.UtcNow + BusyWait;
        while (Umount2(target, flags) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Busy || DateTime.UtcNow >= deadline)
                throw new SbuildException(ErrorCode.MountFailed, $"cannot unmount {target}: {Marshal.GetPInvokeErrorMessage(errno)}");
            Thread.Sleep(10);
        }
    }

    /// <summary>Gives the calling thread its own working directory, root and umask (unshare(CLONE_FS)), so a chdir moves no other thread.</summary>
    public static void UnshareFileSystemAttributes()
    {
        if (Unshare(CloneFs) != 0) throw new SbuildException(ErrorCode.MountFailed, $"cannot unshare the working directory of a mount thread: {LastError()}");
    }

    public static void ChangeDirectory(string path)
    {
        if (Chdir(path) != 0) throw new SbuildException(ErrorCode.MountFailed, $"cannot change to {path}: {LastError()}");
    }

    private static string LastError() => Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MountNative(string source, string target, string? fsType, ulong flags, string? data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "unshare", SetLastError = true)]
    private static partial int Unshare(int flags);

    [LibraryImport("libc", EntryPoint = "chdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chdir(string path);
}
