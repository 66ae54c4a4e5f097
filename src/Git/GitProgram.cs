using System.ComponentModel;
using System.Diagnostics;
using Sbuild.Core;

namespace Sbuild.Git;

/// <summary>What one git command printed and returned.</summary>
public sealed record GitResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The last lines of stderr (git's "fatal: …"), for error messages.</summary>
    public string Diagnostics
    {
        get
        {
            var lines = StandardError.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            return lines.Length == 0 ? $"git exited with code {ExitCode}" : string.Join("; ", lines.TakeLast(3));
        }
    }
}

/// <summary>
/// Runs the system <c>git</c>, never interactively: stdin is closed, <c>GIT_TERMINAL_PROMPT=0</c> and ssh in batch mode
/// (so a password or host-key question fails instead of hanging), and the <c>file</c> protocol is refused (a
/// repository's submodules cannot pull in this machine's files) with <c>GIT_PROTOCOL_FROM_USER=0</c> refusing the
/// other unsafe transports. As BuildKit's git runs: umask 022 (checked-out files are 0644 or 0755 whatever this
/// process's umask), and a command with <c>--depth=1</c> that fails because the server cannot do shallow fetches (dumb
/// http) runs again without it.
/// </summary>
/// <param name="UserConfig">
/// Whether git reads the system and the user's configuration (credential helpers, <c>url.*.insteadOf</c>, templates).
/// Git contexts do, as docker's git does; ADD's git source does not, as BuildKit's daemon does not, so the user's
/// settings cannot change what ADD puts into the image.
/// </param>
/// <param name="FailureCode">The error code of "git is not installed" (the caller's kind of failure).</param>
public sealed record GitProgram(bool UserConfig, ErrorCode FailureCode)
{
    private const string Depth = "--depth=1";
    private static readonly string[] ProxyVariables =
        ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy"];

    public async Task<GitResult> RunAsync(string workingDirectory, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var result = await RunOnceAsync(workingDirectory, arguments, ct).ConfigureAwait(false);
        if (!result.Succeeded && arguments.Contains(Depth)
            && (result.StandardError.Contains("--depth", StringComparison.Ordinal) || result.StandardError.Contains("shallow", StringComparison.Ordinal)))
            return await RunOnceAsync(workingDirectory, arguments.Where(a => a != Depth).ToList(), ct).ConfigureAwait(false);
        return result;
    }

    private async Task<GitResult> RunOnceAsync(string workingDirectory, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var git = FindGit() ?? throw MissingGit("it is not on PATH");
        // umask is per process and .NET cannot set it for a child only, so a shell sets it and execs git.
        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in (string[])["-c", "umask 022 && exec \"$0\" \"$@\"", git, "-c", "protocol.file.allow=never", .. arguments])
            info.ArgumentList.Add(a);
        if (!UserConfig)
        {
            // BuildKit's environment for git: nothing of the caller's but PATH, proxies (and the ssh agent sbuild
            // forwards), so neither configuration nor a GIT_DIR set around sbuild reaches the fetch.
            var kept = info.Environment.Where(e => e.Key is "PATH" or "SSH_AUTH_SOCK" || ProxyVariables.Contains(e.Key)).ToList();
            info.Environment.Clear();
            foreach (var (name, value) in kept) info.Environment[name] = value;
            info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
            info.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
            info.Environment["HOME"] = "/dev/null";
        }
        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        info.Environment["GIT_PROTOCOL_FROM_USER"] = "0";
        info.Environment["LC_ALL"] = "C";
        if (!info.Environment.ContainsKey("GIT_SSH_COMMAND") && !info.Environment.ContainsKey("GIT_SSH"))
            info.Environment["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes";

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw MissingGit($"/bin/sh could not be started to run it ({e.Message})");
        }
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        return new GitResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    private SbuildException MissingGit(string why) =>
        new(FailureCode, $"fetching a git repository needs the git program, but {why}: install git (apt-get install git)");

    private static string? FindGit() => ProgramPath.Find("git");
}
