using System.Runtime.InteropServices;

namespace Sbuild.Core;

/// <summary>
/// The one recursive delete of sbuild (snapshots, bundles, scratch directories, crash leftovers). It walks with
/// file descriptors, one directory open at a time (descending with openat, climbing back with openat "..", removing with
/// unlinkat), so it handles any tree the kernel allows: paths far beyond PATH_MAX (a RUN can nest directories until
/// the path is megabytes long), depths beyond the open-files limit, entries without permissions. It never follows a
/// symbolic link and never descends into another file system (a mount left on a directory inside is reported, not
/// emptied: what is mounted there is not the tree's).
/// </summary>
public static partial class TreeRemover
{
    private const int OpenReadOnly = 0, OpenDirectory = 0x10000, OpenNoFollow = 0x20000, OpenCloseOnExec = 0x80000;
    private const int AtFdCwd = -100, AtRemoveDir = 0x200;
    private const int ENOENT = 2, ENOTDIR = 20, ELOOP = 40;

    /// <summary>Removes <paramref name="path"/> and everything below it; a missing path is not an error.</summary>
    /// <exception cref="SbuildException">An entry could not be removed (FileSystem), naming it and why.</exception>
    public static void Delete(string path)
    {
        var fd = Open(AtFdCwd, path, OpenReadOnly | OpenDirectory | OpenNoFollow | OpenCloseOnExec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == ENOENT) return;
            if (errno is ENOTDIR or ELOOP) // a file or a symbolic link: remove the entry itself
            {
                if (Unlink(AtFdCwd, path, 0) != 0 && Marshal.GetLastPInvokeError() != ENOENT) throw Failure("unlink", path);
                return;
            }
            throw Failure("open", path, errno);
        }
        var device = DeviceOf(fd, path);
        var names = new Stack<byte[]>(); // the names from the root to the open directory, NUL-terminated
        while (true)
        {
            var dir = FdOpenDir(fd);
            if (dir == IntPtr.Zero)
            {
                Close(fd);
                throw Failure("fdopendir", Describe(path, names));
            }
            byte[]? child = null;
            var childFd = -1;
            try
            {
                var dirFd = DirFd(dir);
                while (DirectoryListing.Next(dir, "a directory being removed") is { } entry)
                {
                    if (entry.IsDotOrDotDot) continue;
                    if (entry.Type is DirectoryListing.TypeDirectory or DirectoryListing.TypeUnknown)
                    {
                        childFd = OpenBytes(dirFd, entry.Name, OpenReadOnly | OpenDirectory | OpenNoFollow | OpenCloseOnExec);
                        if (childFd >= 0)
                        {
                            if (DeviceOf(childFd, Text(entry.Name)) != device)
                            {
                                Close(childFd);
                                throw new SbuildException(ErrorCode.FileSystem,
                                    $"cannot remove {Describe(path, names, Text(entry.Name))}: another file system is mounted there; unmount it first");
                            }
                            child = entry.Name;
                            break;
                        }
                        var errno = Marshal.GetLastPInvokeError();
                        if (errno == ENOENT) continue;
                        if (errno is not (ENOTDIR or ELOOP)) throw Failure("open", Describe(path, names, Text(entry.Name)), errno);
                    }
                    if (UnlinkBytes(dirFd, entry.Name, 0) != 0 && Marshal.GetLastPInvokeError() != ENOENT)
                        throw Failure("unlink", Describe(path, names, Text(entry.Name)));
                }
                if (child is not null)
                {
                    names.Push(child);
                    fd = childFd;
                    continue;
                }
                // The directory is empty now: climb to its parent and remove it there.
                if (names.Count == 0)
                {
                    if (Unlink(AtFdCwd, path, AtRemoveDir) != 0 && Marshal.GetLastPInvokeError() != ENOENT) throw Failure("rmdir", path);
                    return;
                }
                var parent = Open(dirFd, "..", OpenReadOnly | OpenDirectory | OpenCloseOnExec);
                if (parent < 0) throw Failure("open", Describe(path, names, ".."));
                var name = names.Pop();
                if (UnlinkBytes(parent, name, AtRemoveDir) != 0 && Marshal.GetLastPInvokeError() != ENOENT)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    Close(parent);
                    throw Failure("rmdir", Describe(path, names, Text(name)), errno);
                }
                fd = parent;
            }
            finally
            {
                DirectoryListing.CloseDir(dir);
            }
        }
    }

    private static ulong DeviceOf(int fd, string name)
    {
        if (!Posix.TryFStat(fd, out var stat))
        {
            var errno = Marshal.GetLastPInvokeError();
            Close(fd);
            throw Failure("stat", name, errno);
        }
        return stat.Device;
    }

    /// <summary>A path to show in a message: the root and the last few names below it (a deep tree's path can be megabytes).</summary>
    private static string Describe(string root, Stack<byte[]> names, string? last = null)
    {
        var parts = names.Reverse().Select(Text).ToList();
        if (last is not null) parts.Add(last);
        const int Shown = 4;
        return parts.Count <= Shown
            ? Path.Join([root, .. parts])
            : Path.Join(root, $"…({parts.Count - Shown} more levels)…", Path.Join([.. parts[^Shown..]]));
    }

    private static string Text(byte[] name) => EscapedNames.Shown(EscapedNames.Decode(name.AsSpan(0, name.Length - 1)));

    private static SbuildException Failure(string call, string path, int? errno = null)
    {
        var code = errno ?? Marshal.GetLastPInvokeError();
        var message = Marshal.GetPInvokeErrorMessage(code);
        return new SbuildException(ErrorCode.FileSystem, $"{call} {path}: {message}", new IOException(message, code));
    }

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial int Open(int dirfd, string path, int flags);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static partial int OpenBytes(int dirfd, byte[] name, int flags);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    private static partial int UnlinkBytes(int dirfd, byte[] name, int flags);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial int Unlink(int dirfd, string path, int flags);

    [LibraryImport("libc", EntryPoint = "fdopendir", SetLastError = true)]
    private static partial IntPtr FdOpenDir(int fd);

    [LibraryImport("libc", EntryPoint = "dirfd", SetLastError = true)]
    private static partial int DirFd(IntPtr dir);


    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
