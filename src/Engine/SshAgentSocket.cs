namespace Sbuild.Engine;

/// <summary>An ssh-agent socket forwarded to <c>RUN --mount=type=ssh,id=ID</c> (a key never leaves the agent).</summary>
public sealed record SshAgentSocket(string Id, string SocketPath);
