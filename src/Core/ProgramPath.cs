namespace Sbuild.Core;

/// <summary>Finds helper programs (docker, git, credential helpers) the way a shell does.</summary>
public static class ProgramPath
{
    /// <summary>The first executable <paramref name="program"/> in a $PATH directory, or null.</summary>
    public static string? Find(string program)
    {
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & anyExecute) != 0) return candidate;
        }
        return null;
    }
}
