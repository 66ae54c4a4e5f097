using System.Runtime.InteropServices;

namespace Sbuild.Core;

/// <summary>
/// Lists a directory with readdir64, keeping each name's bytes: System.IO's enumeration decodes names as UTF-8 with
/// U+FFFD for bytes that are not, and such a path names no file. Every entry is listed, hidden ones included, in the
/// order the file system gives; "." and ".." are left out.
/// </summary>
public static partial class DirectoryListing
{
    public const byte TypeDirectory = 4, TypeUnknown = 0;

    /// <summary>A directory entry: its name's bytes followed by a NUL (ready to pass back to *at calls) and its d_type.</summary>
    public readonly record struct Entry(byte[] Name, byte Type)
    {
        public bool IsDotOrDotDot => Name is [(byte)'.', 0] or [(byte)'.', (byte)'.', 0];
        /// <summary>The name as <see cref="EscapedNames"/> decodes it.</summary>
        public string Text => EscapedNames.Decode(Name.AsSpan(0, Name.Length - 1));
    }

    /// <summary>The names in directory <paramref name="path"/>, as <see cref="EscapedNames"/>.</summary>
    public static List<string> Names(string path)
    {
        var dir = OpenDir(path);
        if (dir == IntPtr.Zero) throw Posix.Error("opendir", path);
        try
        {
            var names = new List<string>();
            while (Next(dir, path) is { } entry)
                if (!entry.IsDotOrDotDot) names.Add(entry.Text);
            return names;
        }
        finally
        {
            CloseDir(dir);
        }
    }

    /// <summary>The next entry of an open DIR* (from opendir or fdopendir), or null at its end; <paramref name="what"/> names it in errors.</summary>
    public static unsafe Entry? Next(IntPtr dir, string what)
    {
        Marshal.SetLastPInvokeError(0);
        var entry = ReadDir(dir);
        if (entry == IntPtr.Zero)
        {
            if (Marshal.GetLastPInvokeError() != 0) throw Posix.Error("readdir", what);
            return null;
        }
        // struct dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
        var bytes = (byte*)entry;
        var length = new ReadOnlySpan<byte>(bytes + 19, 256).IndexOf((byte)0);
        return new Entry(new ReadOnlySpan<byte>(bytes + 19, length + 1).ToArray(), bytes[18]);
    }

    [LibraryImport("libc", EntryPoint = "opendir", SetLastError = true, StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(EscapedNameMarshaller))]
    private static partial IntPtr OpenDir(string path);

    [LibraryImport("libc", EntryPoint = "readdir64", SetLastError = true)]
    private static partial IntPtr ReadDir(IntPtr dir);

    [LibraryImport("libc", EntryPoint = "closedir", SetLastError = true)]
    public static partial int CloseDir(IntPtr dir);
}
