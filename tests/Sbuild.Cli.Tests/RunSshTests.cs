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

    private static async Task<string> CompileAgentClientAsync(TempDirectory context)
    {
        await Require("gcc", "gcc libc6-dev");
        await Require("ssh-agent", "openssh-client");
        File.WriteAllText(context.Combine("agent-client.c"), AgentClient);
        await ProcessRunner.RunAsync("gcc", ["-static", "-O2", "-o", context.Combine("agent-client"), context.Combine("agent-client.c")], CancellationToken.None);
        return context.Combine("agent-client");
    }

    private static Task NewKeyAsync(string path, string passphrase = "") =>
        ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-f", path], CancellationToken.None);

    private static async Task Require(string tool, string package)
    {
        var found = await ProcessRunner.RunAsync("sh", ["-c", $"command -v {tool}"], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        Assert.True(found.ExitCode == 0, $"{tool} is missing: apt-get install {package} (scripts/setup installs it)");
    }

    [Fact]
    public async Task The_agent_is_reachable_at_its_socket_and_ssh_auth_sock_points_there()
    {
        using var context = new TempDirectory("sbuild-ssh-");
        await CompileAgentClientAsync(context);
        await NewKeyAsync(context.Combine("key"));
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
            var absent = await sbuild.RunAsync(["--ssh", $"default={context.Combine("nothing")}", context.Path], allowFailure: true);
            Assert.Contains($"{context.Combine("nothing")} does not exist", absent.StandardError);
        }
        finally
        {
            await ProcessRunner.RunAsync("kill", [pid], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Key_files_are_served_by_a_private_agent_that_ends_with_the_build()
    {
        using var context = new TempDirectory("sbuild-ssh-keys-");
        await CompileAgentClientAsync(context);
        await NewKeyAsync(context.Combine("one"));
        await NewKeyAsync(context.Combine("two"));
        await NewKeyAsync(context.Combine("locked"), passphrase: "secret phrase");
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM busybox
            COPY agent-client /agent-client
            RUN --mount=type=ssh,id=keys,required /agent-client
            """);
        var agentsBefore = await AgentProcessesAsync();

        // sbuild's temporary directories go to TMPDIR: the agent's socket directory must be gone after the build.
        using var tmp = new TempDirectory("sbuild-ssh-tmp-");
        var build = await sbuild.RunAsync(["--progress", "plain", "--no-cache", "--ssh", $"keys={context.Combine("one")},{context.Combine("two")}", context.Path],
            environment: new() { ["TMPDIR"] = tmp.Path });
        Assert.Contains("agent at /run/buildkit/ssh_agent.0 answered type 12 with 2 identities", build.StandardError);
        // The private agent and its socket directory go with the build.
        Assert.Equal(agentsBefore, await AgentProcessesAsync());
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));

        var encrypted = await sbuild.RunAsync(["--no-cache", "--ssh", $"keys={context.Combine("locked")}", context.Path], allowFailure: true);
        Assert.NotEqual(0, encrypted.ExitCode);
        Assert.Contains("--ssh keys=", encrypted.StandardError);
        Assert.Contains("ssh-add could not load the key files", encrypted.StandardError);
        Assert.Equal(agentsBefore, await AgentProcessesAsync());
    }

    /// <summary>
    /// The PIDs of every live ssh-agent on the machine (other tests may run their own, so compare sets). A killed agent
    /// may linger as a zombie until init reaps it: that one is gone.
    /// </summary>
    private static async Task<string> AgentProcessesAsync()
    {
        var found = await ProcessRunner.RunAsync("sh", ["-c", "ps -C ssh-agent -o pid=,stat= | awk '$2 !~ /^Z/ { print $1 }' | sort"], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        return found.StandardOutput;
    }
}
