using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// Runs the real <c>sbuild</c> (the built CLI assembly, as a separate process) against a private store that already
/// holds <c>busybox:latest</c> made by <c>scripts/make-busybox-rootfs</c>, exactly as scripts/setup does.
/// </summary>
public sealed class SbuildCli : IAsyncLifetime
{
    private readonly TempDirectory _work = new("sbuild-cli-");

    public string StoreRoot => _work.Combine("store");
    public string BusyboxTar => _work.Combine("busybox-rootfs.tar");
    /// <summary>$XDG_CONFIG_HOME of every run: sbuild's config.json, certs.d and auth.json live under <c>sbuild/</c> here,
    /// so tests never read or write the machine's own settings.</summary>
    public string ConfigHome => _work.Combine("config");
    /// <summary>$DOCKER_CONFIG of every run (docker's config.json), empty unless a test writes one.</summary>
    public string DockerConfig => _work.Combine("docker-config");
    public ImageStore Store => new(StoreRoot);

    public async Task InitializeAsync()
    {
        await ProcessRunner.RunAsync("bash", [RepoPaths.InRepo("scripts", "make-busybox-rootfs"), BusyboxTar], CancellationToken.None);
        await RunAsync(["image", "import", BusyboxTar, "busybox:latest"], epoch: 0);
    }

    public Task DisposeAsync()
    {
        _work.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Runs sbuild; a non-zero exit throws unless <paramref name="allowFailure"/>. <paramref name="under"/> is a
    /// command line to run it under (such as strace's).</summary>
    public Task<ProcessResult> RunAsync(IEnumerable<string> args, bool allowFailure = false, long? epoch = null, string? workingDirectory = null,
        string? storeRoot = null, string? input = null, Dictionary<string, string?>? environment = null, IReadOnlyList<string>? under = null)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "sbuild.dll");
        var env = new Dictionary<string, string?>
        {
            ["SBUILD_ROOT"] = storeRoot ?? StoreRoot, ["SOURCE_DATE_EPOCH"] = epoch?.ToString(), ["SBUILD_DEBUG"] = null,
            ["XDG_CONFIG_HOME"] = ConfigHome, ["DOCKER_CONFIG"] = DockerConfig,
        };
        foreach (var (name, value) in environment ?? []) env[name] = value;
        IReadOnlyList<string> command = [.. under ?? [], "dotnet", cli, .. args];
        return ProcessRunner.RunAsync(command[0], command.Skip(1),
            new ProcessRunOptions { Environment = env, AllowFailure = allowFailure, WorkingDirectory = workingDirectory, Timeout = TimeSpan.FromMinutes(5), StandardInput = input },
            CancellationToken.None);
    }
}
