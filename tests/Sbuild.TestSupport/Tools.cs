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

    // The programs several test projects check sbuild's output with, each with the Debian package that provides it.
    public static string Tar => Require("tar", "apt-get install tar");
    public static string Gzip => Require("gzip", "apt-get install gzip");
    public static string Zstd => Require("zstd", "apt-get install zstd");
    public static string Strace => Require("strace", "apt-get install strace");
    public static string Sqlite3 => Require("sqlite3", "apt-get install sqlite3");
    public static string Skopeo => Require("skopeo", "apt-get install skopeo");
    public static string Umoci => Require("umoci", "apt-get install umoci");
    public static string OciImageTool => Require("oci-image-tool", "apt-get install oci-image-tool");
    /// <summary>A statically linked busybox: it runs inside a rootfs that holds nothing else.</summary>
    public static string StaticBusybox => Require("/bin/busybox", "apt-get install busybox-static");

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
