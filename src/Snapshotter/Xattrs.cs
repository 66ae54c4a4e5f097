using System.Runtime.InteropServices;
using System.Text;
using Sbuild.Core;

namespace Sbuild.Snapshotter;

/// <summary>Extended attributes of a path itself (never a symlink's target), values as raw bytes.</summary>
public static partial class Xattrs
{
    private const int ENODATA = 61, ERANGE = 34, ENOTSUP = 95;

    /// <summary>Attribute names of <paramref name="path"/>; empty where the file system has no xattr support.</summary>
    public static IReadOnlyList<string> List(string path)
    {
        while (true)
        {
            var size = LListXattr(path, Span<byte>.Empty, 0);
            if (size < 0) return Marshal.GetLastPInvokeError() == ENOTSUP ? [] : throw Posix.Error("llistxattr", path);
            if (size == 0) return [];
            var buffer = new byte[size];
            var read = LListXattr(path, buffer, (nuint)buffer.Length);
            if (read < 0 && Marshal.GetLastPInvokeError() == ERANGE) continue; // grew between the two calls
            if (read < 0) throw Posix.Error("llistxattr", path);
            return Encoding.UTF8.GetString(buffer, 0, (int)read).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
    }

    /// <summary>The value of attribute <paramref name="name"/>, or null when <paramref name="path"/> does not have it.</summary>
    public static byte[]? Get(string path, string name)
    {
        while (true)
        {
            var size = LGetXattr(path, name, Span<byte>.Empty, 0);
            if (size < 0) return Marshal.GetLastPInvokeError() is ENODATA or ENOTSUP ? null : throw Posix.Error("lgetxattr", path);
            var buffer = new byte[size];
            var read = LGetXattr(path, name, buffer, (nuint)buffer.Length);
            if (read < 0 && Marshal.GetLastPInvokeError() == ERANGE) continue;
            if (read < 0) throw Posix.Error("lgetxattr", path);
            return read == size ? buffer : buffer[..(int)read];
        }
    }

    public static void Set(string path, string name, ReadOnlySpan<byte> value)
    {
        if (LSetXattr(path, name, value, (nuint)value.Length, 0) != 0) throw Posix.Error($"lsetxattr {name}", path);
    }

    [LibraryImport("libc", EntryPoint = "llistxattr", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial nint LListXattr(string path, Span<byte> list, nuint size);

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial nint LGetXattr(string path, string name, Span<byte> value, nuint size);

    [LibraryImport("libc", EntryPoint = "lsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial int LSetXattr(string path, string name, ReadOnlySpan<byte> value, nuint size, int flags);
}
