namespace Sbuild.Cli;

/// <summary>Where the local store lives: --root, else $SBUILD_ROOT, else /var/lib/sbuild for root, else $XDG_DATA_HOME/sbuild.</summary>
public static class StoreLocation
{
    public static string Resolve(string? rootOption)
    {
        if (!string.IsNullOrEmpty(rootOption)) return Path.GetFullPath(rootOption);
        var env = Environment.GetEnvironmentVariable("SBUILD_ROOT");
        if (!string.IsNullOrEmpty(env)) return Path.GetFullPath(env);
        if (Environment.IsPrivilegedProcess) return "/var/lib/sbuild";
        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(dataHome))
            dataHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(dataHome, "sbuild");
    }
}
