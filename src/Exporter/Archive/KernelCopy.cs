using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>File-to-file copies with Linux copy_file_range: no user-space buffer, and reflinks where the file system can.</summary>
internal static partial class KernelCopy
{
    private const int EINTR = 4, EBADF = 9, EXDEV = 18, EINVAL = 22, ENOSYS = 38, EOPNOTSUPP = 95;
    // Bounded chunks keep cancellation responsive on multi-GB blobs.
    private const long ChunkSize = 64L << 20;

    /// <summary>
    /// Copies <paramref name="source"/> from its position to its end into <paramref name="target"/> at its position and
    /// advances both. Returns false when the kernel cannot copy between these files; both positions then say how far it
    /// got, so the caller finishes with an ordinary copy.
    /// </summary>
    public static bool TryCopyToEnd(FileStream source, FileStream target, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux()) return false;
        target.Flush();
        long inOffset = source.Position, outOffset = target.Position, end = source.Length;
        var sourceHandle = source.SafeFileHandle;
        var targetHandle = target.SafeFileHandle;
        try
        {
            while (inOffset < end)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var copied = CopyFileRange(sourceHandle, ref inOffset, targetHandle, ref outOffset, (nuint)Math.Min(ChunkSize, end - inOffset), 0);
                if (copied > 0) continue;
                if (copied == 0)
                    throw new SbuildException(ErrorCode.StoreCorrupt, $"{source.Name} ended at {inOffset} bytes while being copied; expected {end}");
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR) continue;
                if (errno is EXDEV or EINVAL or ENOSYS or EOPNOTSUPP or EBADF) return false;
                throw new IOException($"copying {source.Name} into {target.Name} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
            return true;
        }
        finally
        {
            source.Position = inOffset;
            target.Position = outOffset;
        }
    }

    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    private static partial nint CopyFileRange(SafeFileHandle fdIn, ref long offIn, SafeFileHandle fdOut, ref long offOut, nuint length, uint flags);
}
