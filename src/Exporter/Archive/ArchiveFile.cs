using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>
/// Creates a file all at once: written as an unnamed file in the destination's directory (O_TMPFILE), fsynced, then
/// linked into place, so even a process killed outright (SIGKILL) leaves nothing beside the destination. Where the
/// file system cannot make unnamed files it is written to <c>FILE.RANDOM.partial</c> and renamed; a failed or
/// cancelled write deletes that, and only SIGKILL can leave one, whose visible name says what it is.
/// </summary>
internal static class ArchiveFile
{
    public static async Task WriteAtomicallyAsync(string path, Func<Stream, Task> write, CancellationToken cancellationToken)
    {
        path = Path.GetFullPath(path);
        if (Directory.Exists(path))
            throw new SbuildException(ErrorCode.InvalidOption, $"cannot write the archive to {path}: it is a directory");
        var directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
            throw new SbuildException(ErrorCode.InvalidOption, $"cannot write the archive to {path}: the directory {directory} does not exist");
        var unnamed = UnnamedFile.TryCreate(directory);
        var temp = unnamed is null ? $"{path}.{Guid.NewGuid().ToString("N")[..12]}.partial" : null;
        FileStream output;
        try
        {
            // Unbuffered: TarWriter writes whole 512-byte records, and blob bodies go file-to-file in the kernel.
            output = unnamed is not null
                ? new FileStream(unnamed, FileAccess.Write, bufferSize: 0)
                : new FileStream(temp!, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            unnamed?.Dispose();
            throw new SbuildException(ErrorCode.InvalidOption, $"cannot write the archive to {path}: {e.Message}", e);
        }

        try
        {
            await using (output.ConfigureAwait(false))
            {
                await write(output).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                output.Flush(flushToDisk: true);
                if (unnamed is not null) UnnamedFile.Publish(output.SafeFileHandle, path);
            }
            if (temp is not null) File.Move(temp, path, overwrite: true);
        }
        catch
        {
            if (temp is not null) File.Delete(temp);
            throw;
        }
    }
}
