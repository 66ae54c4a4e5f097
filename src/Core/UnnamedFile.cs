using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sbuild.Core;

/// <summary>
/// A file made without a name in a directory (Linux's <c>O_TMPFILE</c>) and named only once it is complete: a process
/// killed while writing it leaves nothing behind, not even a temporary name.
/// </summary>
public static partial class UnnamedFile
{
    private const int OWriteOnly = 0x1, OCloseOnExec = 0x80000, OTmpFile = 0x410000; // O_TMPFILE includes O_DIRECTORY
    private const int AtFdCwd = -100, AtSymlinkFollow = 0x400;
    private const int EExist = 17;

    /// <summary>A writable unnamed file in <paramref name="directory"/>, or null where its file system cannot make one
    /// (older kernels, some network and FUSE file systems): callers then fall back to a temporary name.</summary>
    public static SafeFileHandle? TryCreate(string directory)
    {
        var fd = Open(directory, OTmpFile | OWriteOnly | OCloseOnExec, 0x1B6 /* 0666, less the umask */);
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// Gives the written file <paramref name="handle"/> the name <paramref name="path"/>, replacing a file there. A new
    /// name is linked in one step; an existing file is replaced by linking a temporary name beside it and renaming that
    /// over it (only a kill between those two calls could leave the temporary name).
    /// </summary>
    public static void Publish(SafeFileHandle handle, string path)
    {
        // Through /proc/self/fd: linking the descriptor itself (AT_EMPTY_PATH) would need CAP_DAC_READ_SEARCH.
        var source = $"/proc/self/fd/{handle.DangerousGetHandle()}";
        if (LinkAt(AtFdCwd, source, AtFdCwd, path, AtSymlinkFollow) == 0) return;
        if (Marshal.GetLastPInvokeError() != EExist) throw Posix.Error("linkat", path);
        var temp = AtomicFile.TempPathBeside(path);
        if (LinkAt(AtFdCwd, source, AtFdCwd, temp, AtSymlinkFollow) != 0) throw Posix.Error("linkat", temp);
        try
        {
            Posix.Rename(temp, path);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkAt(int oldDirFd, string oldPath, int newDirFd, string newPath, int flags);
}
