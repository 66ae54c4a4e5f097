using System.Runtime.InteropServices;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>
/// A short name for a directory while it is open: <c>/proc/self/fd/N</c>, N an O_PATH descriptor of it. A differ reads
/// a tree by paths below its root, and the kernel refuses paths of PATH_MAX (4096) bytes or more: below a store's
/// snapshot directory (<c>/var/lib/sbuild/snapshots/123/fs</c>, longer for a deep <c>--root</c>) a step's path of about
/// 4,000 bytes would not fit, though the container made it and BuildKit's differ (whose prefix is short) reads it.
/// Through the alias a tree path costs 18 bytes of prefix whatever the store's path, so the paths a container can
/// make are readable. The alias is valid until disposed.
/// </summary>
internal sealed partial class DirectoryAlias : IDisposable
{
    private const int OPath = 0x200000, ODirectory = 0x10000, OCloseOnExec = 0x80000;
    private readonly int _fd;

    private DirectoryAlias(int fd)
    {
        _fd = fd;
        Path = $"/proc/self/fd/{fd}";
    }

    public string Path { get; }

    public static DirectoryAlias Open(string directory)
    {
        var fd = OpenNative(directory, OPath | ODirectory | OCloseOnExec);
        if (fd < 0) throw Posix.Error("open", directory);
        return new DirectoryAlias(fd);
    }

    public void Dispose() => CloseNative(_fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial int OpenNative(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int CloseNative(int fd);
}
