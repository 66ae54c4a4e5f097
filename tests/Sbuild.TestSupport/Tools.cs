namespace Sbuild.TestSupport;

/// <summary>A program a test needs is not installed; the message says how to install it.</summary>
public sealed class MissingToolException(string message) : Exception(message);

/// <summary>Locates external programs that tests depend on, failing (never skipping) when one is missing.</summary>
public static class Tools
{
    /// <summary>
    /// The full path of <paramref name="name"/> (an absolute path is checked as is, a bare name is looked up on PATH);
    /// throws <see cref="MissingToolException"/> carrying <paramref name="installHint"/> (e.g. "apt-get install skopeo")
    /// when it is not there or not executable.
    /// </summary>
    public static string Require(string name, string installHint) =>
        Find(name) ?? throw new MissingToolException($"required tool '{name}' was not found: {installHint}");

    public static string? Find(string name)
    {
        if (Path.IsPathRooted(name)) return IsExecutable(name) ? name : null;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (IsExecutable(candidate)) return candidate;
        }
        return null;
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
