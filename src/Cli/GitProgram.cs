using System.ComponentModel;
using System.Diagnostics;
using Sbuild.Core;

namespace Sbuild.Cli;

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
/// Runs the system <c>git</c> for remote contexts, never interactively: stdin is closed, <c>GIT_TERMINAL_PROMPT=0</c>
/// and ssh in batch mode (so a password or host-key question fails instead of hanging), and, like docker, the
/// <c>file</c> protocol is refused (a repository's submodules cannot pull in this machine's files) and
/// <c>GIT_PROTOCOL_FROM_USER=0</c> refuses the unsafe transports.
/// </summary>
public static class GitProgram
{
    public static async Task<GitResult> RunAsync(string workingDirectory, IEnumerable<string> arguments, CancellationToken ct)
    {
        var info = new ProcessStartInfo("git")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in (string[])["-c", "protocol.file.allow=never", .. arguments]) info.ArgumentList.Add(a);
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
            throw new SbuildException(ErrorCode.ContextNotFound, $"git contexts need the git program, which could not be started ({e.Message}): install git (apt-get install git)");
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
}
