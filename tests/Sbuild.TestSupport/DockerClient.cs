namespace Sbuild.TestSupport;

/// <summary>
/// Runs Debian's docker CLI (<c>/usr/bin/docker</c>, which has BuildKit; the docker first on PATH may not) against the
/// test daemon, with BuildKit switched on.
/// </summary>
public sealed class DockerClient(string clientPath, string host)
{
    private static readonly IReadOnlyDictionary<string, string?> Environment = new Dictionary<string, string?>
    {
        ["DOCKER_BUILDKIT"] = "1",
        ["DOCKER_HOST"] = null, // -H decides; a stray variable must not
        ["DOCKER_CONTEXT"] = null,
    };

    public string ClientPath { get; } = clientPath;
    public string Host { get; } = host;

    public Task<ProcessResult> RunAsync(IEnumerable<string> args, CancellationToken ct) => RunAsync(args, ProcessRunOptions.Default, ct);

    /// <summary>Runs <c>docker -H HOST ARGS…</c>; <paramref name="options"/>' environment is added to the BuildKit settings.</summary>
    public Task<ProcessResult> RunAsync(IEnumerable<string> args, ProcessRunOptions options, CancellationToken ct)
    {
        var env = new Dictionary<string, string?>(Environment);
        foreach (var (k, v) in options.Environment ?? new Dictionary<string, string?>()) env[k] = v;
        return ProcessRunner.RunAsync(ClientPath, args.Prepend(Host).Prepend("-H"), options with { Environment = env }, ct);
    }

    /// <summary>True when the daemon answers <c>docker version</c> within a few seconds.</summary>
    public async Task<bool> IsAnsweringAsync(CancellationToken ct)
    {
        var result = await RunAsync(["version", "--format", "{{.Server.Version}}"],
            new ProcessRunOptions { AllowFailure = true, Timeout = TimeSpan.FromSeconds(10) }, ct);
        return result.ExitCode == 0 && result.StandardOutput.Trim().Length > 0;
    }
}
