using Sbuild.Core;

namespace Sbuild.Exporter;

/// <summary>
/// Creates a file all at once: written to <c>FILE.RANDOM.partial</c> in the same directory, fsynced, then renamed into
/// place. A failed or cancelled write deletes the partial file; only a process killed outright (SIGKILL) can leave one,
/// and its visible name says what it is.
/// </summary>
internal static class ArchiveFile
{
    public static async Task WriteAtomicallyAsync(string path, Func<Stream, Task> write, CancellationToken cancellationToken)
    {
        path = Path.GetFullPath(path);
        if (Directory.Exists(path))
            throw new SbuildException(ErrorCode.InvalidOption, $"cannot write the archive to {path}: it is a directory");
        if (!Directory.Exists(Path.GetDirectoryName(path)))
            throw new SbuildException(ErrorCode.InvalidOption, $"cannot write the archive to {path}: the directory {Path.GetDirectoryName(path)} does not exist");
        var temp = $"{path}.{Guid.NewGuid().ToString("N")[..12]}.partial";
        FileStream output;
        try
        {
            // Unbuffered: TarWriter writes whole 512-byte records, and blob bodies go file-to-file in the kernel.
            output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SbuildException(ErrorCode.InvalidOption, $"cannot write the archive to {path}: {e.Message}", e);
        }

        try
        {
            await using (output.ConfigureAwait(false))
            {
                await write(output).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                output.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
