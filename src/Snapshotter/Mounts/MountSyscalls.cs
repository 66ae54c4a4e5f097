using System.Runtime.InteropServices;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>mount(2), umount2(2) and the O_PATH open used to shorten overlay options, via source-generated P/Invoke.</summary>
internal static partial class MountSyscalls
{
    public const int DetachFlag = 0x2; // MNT_DETACH
    private const int OPath = 0x200000, OCloexec = 0x80000;

    public static void Mount(string source, string target, string? fsType, ulong flags, string? data, string description)
    {
        if (MountNative(source, target, fsType, flags, data) != 0)
            throw new SbuildException(ErrorCode.MountFailed, $"cannot mount {description} on {target}: {LastError()}");
    }

    public static void Unmount(string target, int flags)
    {
        if (Umount2(target, flags) != 0)
            throw new SbuildException(ErrorCode.MountFailed, $"cannot unmount {target}: {LastError()}");
    }

    /// <summary>An O_PATH descriptor of <paramref name="path"/>: it pins the directory without opening it for reading.</summary>
    public static int OpenPath(string path)
    {
        var fd = Open(path, OPath | OCloexec);
        if (fd < 0) throw new SbuildException(ErrorCode.MountFailed, $"cannot open {path}: {LastError()}");
        return fd;
    }

    public static void CloseDescriptor(int fd) => Close(fd);

    private static string LastError() => Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MountNative(string source, string target, string? fsType, ulong flags, string? data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
