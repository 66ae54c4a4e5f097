using System.Text;
using Sbuild.Core;

namespace Sbuild.Frontend;

/// <summary>
/// Reads a Dockerfile's text with a size limit, so <c>-f /dev/zero</c> or a runaway file is refused instead of read
/// until memory runs out, and a directory or a missing file is named as such.
/// </summary>
public static class DockerfileText
{
    /// <summary>The largest Dockerfile read: far above any real one (a 100,000-line file is a few MB).</summary>
    public const int MaxBytes = 32 * 1024 * 1024;

    public static string Read(string path)
    {
        if (Directory.Exists(path))
            throw new SbuildException(ErrorCode.DockerfileNotFound, $"Dockerfile {path} is a directory: give the file itself with -f");
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            var buffer = new byte[64 * 1024];
            using var text = new MemoryStream();
            int read;
            while ((read = file.Read(buffer)) > 0)
            {
                if (text.Length + read > MaxBytes)
                    throw new SbuildException(ErrorCode.DockerfileSyntax, $"Dockerfile {path} is larger than {MaxBytes / (1024 * 1024)} MiB: refusing to read it");
                text.Write(buffer, 0, read);
            }
            return Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SbuildException(ErrorCode.DockerfileNotFound, $"failed to read Dockerfile {path}: no such file");
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException and not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new SbuildException(ErrorCode.DockerfileNotFound, $"failed to read Dockerfile {path}: {e.Message}");
        }
    }
}
