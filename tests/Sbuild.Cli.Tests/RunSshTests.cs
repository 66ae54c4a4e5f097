using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>RUN --mount=type=ssh forwards an ssh-agent: a static client inside the RUN asks the agent for its keys.</summary>
public sealed class RunSshTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    // Speaks the agent protocol (SSH2_AGENTC_REQUEST_IDENTITIES) on $SSH_AUTH_SOCK: busybox has no unix-socket client.
    private const string AgentClient = """
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        #include <sys/socket.h>
        #include <sys/un.h>
        int main(void) {
            const char *path = getenv("SSH_AUTH_SOCK");
            if (!path) { puts("no SSH_AUTH_SOCK"); return 2; }
            int fd = socket(AF_UNIX, SOCK_STREAM, 0);
            struct sockaddr_un addr = { .sun_family = AF_UNIX };
            strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
            if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { perror("connect"); return 3; }
            unsigned char request[5] = { 0, 0, 0, 1, 11 }, reply[9];
            if (write(fd, request, 5) != 5 || read(fd, reply, 9) < 9) { puts("no answer"); return 4; }
            printf("agent at %s answered type %d with %d identities\n", path, reply[4], (reply[5] << 24) | (reply[6] << 16) | (reply[7] << 8) | reply[8]);
            return 0;
        }
        """;

    private static async Task Require(string tool, string package)
    {
        var found = await ProcessRunner.RunAsync("sh", ["-c", $"command -v {tool}"], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        Assert.True(found.ExitCode == 0, $"{tool} is missing: apt-get install {package} (scripts/setup installs it)");
    }

    [Fact]
    public async Task The_agent_is_reachable_at_its_socket_and_ssh_auth_sock_points_there()
    {
        await Require("gcc", "gcc libc6-dev");
        await Require("ssh-agent", "openssh-client");
        using var context = new TempDirectory("sbuild-ssh-");
        File.WriteAllText(context.Combine("agent-client.c"), AgentClient);
        await ProcessRunner.RunAsync("gcc", ["-static", "-O2", "-o", context.Combine("agent-client"), context.Combine("agent-client.c")], CancellationToken.None);
        await ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", context.Combine("key")], CancellationToken.None);
        var socket = context.Combine("agent.sock");
        var agent = await ProcessRunner.RunAsync("ssh-agent", ["-a", socket], CancellationToken.None);
        var pid = System.Text.RegularExpressions.Regex.Match(agent.StandardOutput, @"SSH_AGENT_PID=(\d+)").Groups[1].Value;
        try
        {
            await ProcessRunner.RunAsync("ssh-add", ["-q", context.Combine("key")],
                new ProcessRunOptions { Environment = new Dictionary<string, string?> { ["SSH_AUTH_SOCK"] = socket } }, CancellationToken.None);
            File.WriteAllText(context.Combine("Dockerfile"), """
                FROM busybox
                COPY agent-client /agent-client
                RUN --mount=type=ssh /agent-client
                RUN --mount=type=ssh,id=deploy,target=/agent.sock,required /agent-client
                """);
            var build = await sbuild.RunAsync(["--progress", "plain", "--ssh", "default", "--ssh", $"deploy={socket}", context.Path],
                environment: new() { ["SSH_AUTH_SOCK"] = socket });
            Assert.Contains("agent at /run/buildkit/ssh_agent.0 answered type 12 with 1 identities", build.StandardError);
            Assert.Contains("agent at /agent.sock answered type 12 with 1 identities", build.StandardError);

            var missing = await sbuild.RunAsync(["--no-cache", "--ssh", "default", context.Path], allowFailure: true, environment: new() { ["SSH_AUTH_SOCK"] = socket });
            Assert.Contains("ssh agent \"deploy\" is required but not provided", missing.StandardError);
            var noAgent = await sbuild.RunAsync(["--ssh", "default", context.Path], allowFailure: true, environment: new() { ["SSH_AUTH_SOCK"] = null });
            Assert.Contains("SSH_AUTH_SOCK is not set", noAgent.StandardError);
            var key = await sbuild.RunAsync(["--ssh", $"default={context.Combine("key")}", context.Path], allowFailure: true);
            Assert.Contains("is not an ssh-agent socket", key.StandardError);
        }
        finally
        {
            await ProcessRunner.RunAsync("kill", [pid], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        }
    }
}
