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

/// <summary>How commands share the store with a prune in another process (see <see cref="Sbuild.Core.StoreLock"/>).</summary>
public static class StoreHold
{
    /// <summary>Held by every command that adds to the store or reads what it must keep (build, pull, push, import).
    /// First reclaims what ended processes left in the store (<see cref="Sbuild.Engine.StoreRecovery"/>).</summary>
    public static Sbuild.Core.FileLock Shared(string storeRoot)
    {
        Recover(storeRoot);
        return Sbuild.Core.StoreLock.Shared(storeRoot, TimeSpan.FromMinutes(30));
    }

    /// <summary>Reclaims what ended sbuild processes left in the store, saying so on standard error when there was anything.</summary>
    public static void Recover(string storeRoot)
    {
        var report = Sbuild.Engine.StoreRecovery.Run(new Sbuild.Core.ImageStore(storeRoot));
        if (!report.IsEmpty) Console.Error.WriteLine("=> " + report);
    }
}
