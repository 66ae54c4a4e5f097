using System.Text;

namespace Sbuild.TestSupport;

/// <summary>
/// Builds a directory tree by hand, with exact modes and owners, to serve as the expected side of a rootfs comparison.
/// Paths are rootfs paths (<c>/etc/passwd</c>); missing parents are created as root-owned 0755 directories. Explicit
/// modes are applied with chmod, so the umask does not interfere.
/// </summary>
public sealed class RootfsBuilder(string root)
{
    private const UnixFileMode Mode755 = (UnixFileMode)0b111_101_101;
    private const UnixFileMode Mode644 = (UnixFileMode)0b110_100_100;

    public string Root { get; } = root;

    /// <summary>The host path of a rootfs path.</summary>
    public string HostPath(string path) => Path.Combine(Root, path.TrimStart('/'));

    public RootfsBuilder Dir(string path, UnixFileMode mode = Mode755, uint uid = 0, uint gid = 0)
    {
        var host = Prepare(path);
        Directory.CreateDirectory(host);
        return Own(host, mode, uid, gid);
    }

    public RootfsBuilder File(string path, string content, UnixFileMode mode = Mode644, uint uid = 0, uint gid = 0) =>
        File(path, Encoding.UTF8.GetBytes(content), mode, uid, gid);

    public RootfsBuilder File(string path, byte[] content, UnixFileMode mode = Mode644, uint uid = 0, uint gid = 0)
    {
        var host = Prepare(path);
        System.IO.File.WriteAllBytes(host, content);
        return Own(host, mode, uid, gid);
    }

    public RootfsBuilder Symlink(string path, string target, uint uid = 0, uint gid = 0)
    {
        var host = Prepare(path);
        System.IO.File.CreateSymbolicLink(host, target);
        UnixFs.LChown(host, uid, gid);
        return this;
    }

    /// <summary>A second name for the existing file at <paramref name="existing"/> (both rootfs paths).</summary>
    public RootfsBuilder HardLink(string path, string existing)
    {
        UnixFs.HardLink(HostPath(existing), Prepare(path));
        return this;
    }

    public RootfsBuilder Fifo(string path, UnixFileMode mode = Mode644, uint uid = 0, uint gid = 0)
    {
        var host = Prepare(path);
        UnixFs.MakeFifo(host, mode);
        return Own(host, mode, uid, gid);
    }

    public RootfsBuilder Device(string path, FileKind kind, uint major, uint minor, UnixFileMode mode = Mode644, uint uid = 0, uint gid = 0)
    {
        var host = Prepare(path);
        UnixFs.MakeDevice(host, kind, major, minor, mode);
        return Own(host, mode, uid, gid);
    }

    /// <summary>Changes the mode of an existing entry.</summary>
    public RootfsBuilder Chmod(string path, UnixFileMode mode)
    {
        System.IO.File.SetUnixFileMode(HostPath(path), mode);
        return this;
    }

    /// <summary>Removes an existing entry (a directory with its contents).</summary>
    public RootfsBuilder Remove(string path)
    {
        var host = HostPath(path);
        if (UnixFs.LStat(host).Kind == FileKind.Directory) Directory.Delete(host, recursive: true);
        else System.IO.File.Delete(host);
        return this;
    }

    private string Prepare(string path)
    {
        if (!path.StartsWith('/')) throw new ArgumentException($"rootfs paths are absolute: {path}", nameof(path));
        var host = HostPath(path);
        var parent = Path.GetDirectoryName(host)!;
        if (!Directory.Exists(parent))
        {
            var rel = "/" + Path.GetRelativePath(Root, parent);
            Dir(rel);
        }
        return host;
    }

    private RootfsBuilder Own(string host, UnixFileMode mode, uint uid, uint gid)
    {
        UnixFs.LChown(host, uid, gid);
        System.IO.File.SetUnixFileMode(host, mode); // after chown, which clears setuid/setgid
        return this;
    }
}
