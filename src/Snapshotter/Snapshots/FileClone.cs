using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// Copies a regular file's data the cheapest way the file system allows: a reflink (FICLONE: btrfs, XFS, bcachefs share
/// the extents until either file is written), else copy_file_range (the kernel copies, without the data crossing into
/// this process), else a read/write loop through one buffer. Files are opened by path with O_NOFOLLOW and without .NET's
/// advisory flock, so a file some process holds locked in a parent snapshot is still copied.
/// </summary>
public static partial class FileClone
{
    private const ulong Ficlone = 0x40049409; // _IOW(0x94, 9, int)
    private const int EXDEV = 18, EINVAL = 22, ENOSYS = 38, EOPNOTSUPP = 95;
    private const int BufferSize = 128 * 1024;

    /// <summary>Creates <paramref name="target"/> (which must not exist, mode 0600 until the caller sets metadata) with the data of <paramref name="source"/>.</summary>
    public static void Copy(string source, string target)
    {
        using var input = Posix.OpenReadHandle(source);
        using var output = Posix.CreateNewHandle(target, 0b110_000_000);
        if (Ioctl(output, Ficlone, input) == 0) return;

        long copied = 0;
        while (true)
        {
            var n = CopyFileRange(input, 0, output, 0, 1 << 30, 0);
            if (n == 0) return;
            if (n > 0)
            {
                copied += n;
                continue;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno is EXDEV or EINVAL or ENOSYS or EOPNOTSUPP) break; // this file system pair cannot: copy it ourselves
            throw Failure("copy_file_range", target, errno);
        }
        // Pooled: a COPY of many small files would otherwise allocate (and clear) a large buffer per file.
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            for (int read; (read = RandomAccess.Read(input, buffer, copied)) > 0; copied += read)
                RandomAccess.Write(output, buffer.AsSpan(0, read), copied);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static SbuildException Failure(string call, string path, int errno) =>
        new(ErrorCode.FileSystem, $"{call} {EscapedNames.Shown(path)}: {Marshal.GetPInvokeErrorMessage(errno)}", new IOException(Marshal.GetPInvokeErrorMessage(errno), errno));

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(SafeFileHandle fd, ulong request, SafeFileHandle source);

    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    private static partial nint CopyFileRange(SafeFileHandle input, nint inputOffset, SafeFileHandle output, nint outputOffset, nuint length, uint flags);
}
