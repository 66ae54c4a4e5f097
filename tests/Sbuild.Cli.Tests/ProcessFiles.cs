namespace Sbuild.Cli.Tests;

/// <summary>What a running sbuild is doing, seen from outside: the files it holds open.</summary>
internal static class ProcessFiles
{
    /// <summary>The targets of /proc/PID/fd's links (empty once the process has ended).</summary>
    public static HashSet<string> Open(int pid)
    {
        var open = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
                if (new FileInfo(fd).LinkTarget is { } target) open.Add(target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process ended (or an fd closed) while we looked.
        }
        return open;
    }
}
