using Sbuild.Core;
using Sbuild.Frontend;

namespace Sbuild.Engine;

/// <summary>
/// Secret values as files for one RUN: in a private directory on /dev/shm (memory, never the store or a disk), with
/// the mount's mode and owner, bind-mounted read-only into the container and deleted when the RUN ends.
/// </summary>
public sealed class SecretFiles : IDisposable
{
    private const string MemoryFilesystem = "/dev/shm";
    private string? _directory;

    public string Write(byte[] value, RunMount mount)
    {
        if (_directory is null)
        {
            if (!Directory.Exists(MemoryFilesystem))
                throw new SbuildException(ErrorCode.FileSystem, $"RUN --mount=type=secret needs {MemoryFilesystem} (a tmpfs) to hold secrets outside the store");
            _directory = Directory.CreateDirectory(Path.Combine(MemoryFilesystem, "sbuild-secrets-" + Guid.NewGuid().ToString("N"))).FullName;
            Posix.Chmod(_directory, 0x1C0);
        }
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N"));
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            Posix.Chmod(path, 0x180); // not readable by others even while being written
            file.Write(value);
        }
        Posix.LChown(path, mount.Uid, mount.Gid);
        Posix.Chmod(path, mount.Mode);
        return path;
    }

    public void Dispose()
    {
        if (_directory is not null) TreeRemover.Delete(_directory);
    }
}
