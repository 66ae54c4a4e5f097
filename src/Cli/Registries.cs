using Sbuild.Core;
using Sbuild.Registry;
using Sbuild.Registry.Auth;

namespace Sbuild.Cli;

/// <summary>
/// Registry settings read at the CLI edge: sbuild's config file (<c>$XDG_CONFIG_HOME/sbuild/config.json</c>, else
/// <c>/etc/sbuild/config.json</c>; docker daemon.json's keys), <c>--registry-mirror</c> flags, CA certificates in
/// certs.d directories, and credentials from <c>sbuild login</c> and docker's config.
/// </summary>
public static class Registries
{
    public static RegistrySession Session(IReadOnlyList<string> mirrorFlags, Func<string, RegistryCredential?>? credentials = null)
    {
        var configHome = ConfigHome();
        var options = RegistryOptions.Load(
            ConfigFiles.Candidates(),
            [Path.Combine(configHome, "sbuild", "certs.d"), "/etc/sbuild/certs.d", "/etc/docker/certs.d"]);
        // Flags come first: a mirror named on the command line is tried before the configured ones.
        var flagMirrors = mirrorFlags.Select(m => RegistryOptions.ParseMirror(m, "--registry-mirror"));
        options = options with { Mirrors = [.. flagMirrors, .. options.Mirrors] };
        return new RegistrySession(options, credentials ?? Credentials().Find);
    }

    /// <summary>sbuild's own credentials file first, then docker's config (<c>$DOCKER_CONFIG/config.json</c> or <c>~/.docker/config.json</c>).</summary>
    public static CredentialStore Credentials()
    {
        var dockerConfig = Environment.GetEnvironmentVariable("DOCKER_CONFIG") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        return new CredentialStore(Path.Combine(ConfigHome(), "sbuild", "auth.json"), Path.Combine(dockerConfig, "config.json"));
    }

    /// <summary>The registry a <c>login</c>/<c>logout</c> argument names: <c>host[:port]</c> or a URL; none means Docker Hub.</summary>
    public static string RegistryArgument(string? text) =>
        string.IsNullOrEmpty(text) ? ImageReference.DockerHub : CredentialStore.NormalizeHost(text);

    internal static string ConfigHome() =>
        Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } home
            ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
}

/// <summary>sbuild's config file: <c>$XDG_CONFIG_HOME/sbuild/config.json</c>, else <c>/etc/sbuild/config.json</c> (the first that exists).</summary>
public static class ConfigFiles
{
    public static IReadOnlyList<string> Candidates() => [Path.Combine(Registries.ConfigHome(), "sbuild", "config.json"), "/etc/sbuild/config.json"];

    public static string? Find() => Candidates().FirstOrDefault(File.Exists);
}
