using System.ComponentModel;
using System.Diagnostics;
using Sbuild.Core;
using Sbuild.Engine;

namespace Sbuild.Cli;

/// <summary>
/// The agents of a build's <c>--ssh</c> flags, as BuildKit reads them: <c>default</c> (the agent of $SSH_AUTH_SOCK),
/// <c>ID</c> (the same under another id), <c>ID=SOCKET</c>, or <c>ID=KEY[,KEY…]</c>: private key files, served by a
/// private ssh-agent started for this build (BuildKit loads them into an in-process agent; either way the keys never
/// enter the container, only the agent's socket does). Dispose stops those agents.
/// </summary>
public sealed class SshForwards : IDisposable
{
    private readonly Dictionary<string, SshAgentSocket> _sockets = new(StringComparer.Ordinal);
    private readonly List<(Process Agent, string Directory)> _privateAgents = [];

    public IReadOnlyDictionary<string, SshAgentSocket> Sockets => _sockets;

    public static async Task<SshForwards> StartAsync(IEnumerable<string> values, string flag, Func<string, string?> environment, CancellationToken ct)
    {
        var forwards = new SshForwards();
        try
        {
            foreach (var value in values) await forwards.AddAsync(value, flag, environment, ct);
            return forwards;
        }
        catch
        {
            forwards.Dispose();
            throw;
        }
    }

    private async Task AddAsync(string value, string flag, Func<string, string?> environment, CancellationToken ct)
    {
        var eq = value.IndexOf('=');
        var id = (eq < 0 ? value : value[..eq]).Trim();
        if (id.Length == 0) throw new SbuildException(ErrorCode.InvalidOption, $"invalid {flag} \"{value}\": expected default, ID, ID=SOCKET or ID=KEY[,KEY…]");
        var paths = eq < 0 ? [environment("SSH_AUTH_SOCK") ?? ""]
            : value[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (paths is [] or [""])
            throw new SbuildException(ErrorCode.InvalidOption, $"{flag} {value}: SSH_AUTH_SOCK is not set; start an ssh-agent or give {id}=SOCKET or {id}=KEY_FILE");
        var full = paths.Select(Path.GetFullPath).ToList();
        foreach (var path in full)
            if (!Posix.TryLStat(path, out _))
                throw new SbuildException(ErrorCode.InvalidOption, $"{flag} {value}: {path} does not exist (expected an ssh-agent socket or private key files)");
        // A repeated id: the last one wins, as for --secret.
        _sockets[id] = new SshAgentSocket(id, full is [var single] && IsSocket(single) ? single : await StartPrivateAgentAsync(value, flag, full, ct));
    }

    private static bool IsSocket(string path) => Posix.TryLStat(path, out var st) && st.Type == Posix.FileStat.Socket;

    /// <summary>
    /// Starts <c>ssh-agent -a SOCKET sh -c 'ssh-add KEYS; echo ready; exec cat'</c>: the agent lives as long as that
    /// command, and the command as long as its stdin, a pipe this process holds. So the agent dies with sbuild even when
    /// sbuild is killed (ssh-agent polls its command every few seconds), and Dispose stops it at once: the agent is a
    /// child of the command, so killing the command's process tree takes it along. The command stays alive when ssh-add
    /// fails too, for the same reason: were it to exit, the orphaned agent would outlive it for a while.
    /// </summary>
    private async Task<string> StartPrivateAgentAsync(string value, string flag, IReadOnlyList<string> keys, CancellationToken ct)
    {
        foreach (var key in keys.Where(IsSocket))
            throw new SbuildException(ErrorCode.InvalidOption, $"{flag} {value}: {key} is an agent socket; give one socket, or key files only");
        // Private to root: the socket answers signing requests with these keys.
        var directory = Directory.CreateTempSubdirectory("sbuild-ssh-").FullName;
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var socket = Path.Combine(directory, "agent.sock");
        var info = new ProcessStartInfo("ssh-agent")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["-a", socket, "sh", "-c", "if ssh-add -q \"$@\" </dev/null; then echo ready; else echo failed; fi; exec cat >/dev/null", "sh", .. keys])
            info.ArgumentList.Add(a);
        // ssh-add must never ask for a passphrase: an encrypted key fails, as it does in BuildKit.
        info.Environment["SSH_ASKPASS_REQUIRE"] = "never";
        info.Environment.Remove("DISPLAY");
        info.Environment.Remove("SSH_AUTH_SOCK");
        var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            TreeRemover.Delete(directory);
            process.Dispose();
            throw new SbuildException(ErrorCode.InvalidOption, $"{flag} {value}: serving key files needs ssh-agent, which could not be started ({e.Message}): install openssh-client");
        }
        _privateAgents.Add((process, directory));
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var ready = await process.StandardOutput.ReadLineAsync(ct);
        if (ready != "ready")
        {
            Stop(process);
            var why = (await stderr).Trim().ReplaceLineEndings("; ");
            // Nothing may ask for a passphrase during a build: such a key belongs in the user's own agent.
            var advice = why.Contains("passphrase", StringComparison.OrdinalIgnoreCase)
                ? $"; add an encrypted key to an agent first (ssh-add KEY), then give {flag} ID=$SSH_AUTH_SOCK" : "";
            throw new SbuildException(ErrorCode.InvalidOption, $"{flag} {value}: ssh-add could not load the key files ({(why.Length > 0 ? why : "no reason given")}){advice}");
        }
        return socket;
    }

    private static void Stop(Process agent)
    {
        try
        {
            if (!agent.HasExited) agent.Kill(entireProcessTree: true);
            agent.WaitForExit();
        }
        catch (InvalidOperationException) { }
    }

    public void Dispose()
    {
        foreach (var (agent, directory) in _privateAgents)
        {
            Stop(agent);
            agent.Dispose();
            try { TreeRemover.Delete(directory); } catch (SbuildException) { }
        }
        _privateAgents.Clear();
    }
}
