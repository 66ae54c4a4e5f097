using Microsoft.Win32.SafeHandles;
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
internal sealed class DirectoryAlias : IDisposable
{
    private readonly SafeFileHandle _handle;

    private DirectoryAlias(SafeFileHandle handle)
    {
        _handle = handle;
        Path = $"/proc/self/fd/{handle.DangerousGetHandle()}";
    }

    public string Path { get; }

    public static DirectoryAlias Open(string directory) => new(Posix.OpenDirectoryPath(directory));

    public void Dispose() => _handle.Dispose();
}
