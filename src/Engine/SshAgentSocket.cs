using Sbuild.Core;

namespace Sbuild.Engine;

/// <summary>A <c>--ssh</c>: the ssh-agent socket forwarded to <c>RUN --mount=type=ssh,id=ID</c> (a key never leaves the agent).</summary>
public sealed record SshAgentSocket(string Id, string SocketPath)
{
    /// <summary><c>default</c> (the agent of $SSH_AUTH_SOCK), <c>ID</c> (the same, under another id) or <c>ID=SOCKET</c>.</summary>
    public static SshAgentSocket Parse(string value, string flag, Func<string, string?> environment)
    {
        var eq = value.IndexOf('=');
        var id = (eq < 0 ? value : value[..eq]).Trim();
        if (id.Length == 0) throw new SbuildException(ErrorCode.InvalidOption, $"invalid {flag} \"{value}\": expected default, ID or ID=SOCKET");
        var path = eq < 0 ? environment("SSH_AUTH_SOCK") : value[(eq + 1)..].Split(',')[0].Trim();
        if (string.IsNullOrEmpty(path))
            throw new SbuildException(ErrorCode.InvalidOption, $"{flag} {value}: SSH_AUTH_SOCK is not set; start an ssh-agent or give {id}=SOCKET");
        var full = Path.GetFullPath(path);
        if (!Posix.TryLStat(full, out var st) || st.Type != Posix.FileStat.Socket)
            throw new SbuildException(ErrorCode.InvalidOption,
                $"{flag} {value}: {full} is not an ssh-agent socket (key files are not supported yet: run `ssh-agent`, `ssh-add KEY`, then give {id}=$SSH_AUTH_SOCK)");
        return new SshAgentSocket(id, full);
    }
}
