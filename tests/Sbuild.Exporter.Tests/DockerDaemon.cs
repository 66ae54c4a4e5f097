namespace Sbuild.Exporter.Tests;

/// <summary>
/// The test Docker engine on its own socket. Started (detached, left running for later tests) only when nothing
/// answers there. A shared fixture in Sbuild.TestSupport is to replace this.
/// </summary>
internal static class DockerDaemon
{
    public const string Dockerd = "/usr/sbin/dockerd";
    public const string Socket = "/run/sbuild-test-docker.sock";
    private static readonly Lock Gate = new();

    /// <summary>Runs the docker CLI against the test engine.</summary>
    public static ToolResult Docker(params string[] args) => Tool.Run(Tool.Docker, ["-H", "unix://" + Socket, .. args]);

    public static void EnsureRunning()
    {
        lock (Gate)
        {
            if (Answers()) return;
            Tool.Require(Dockerd);
            Tool.Run("/bin/sh", "-c",
                $"setsid {Dockerd} --iptables=false --ip-forward=false --bridge=none --data-root /var/lib/sbuild-test-docker " +
                $"--exec-root /run/sbuild-test-docker --pidfile /run/sbuild-test-docker.pid -H unix://{Socket} " +
                ">>/var/log/sbuild-test-docker.log 2>&1 < /dev/null &").EnsureSuccess("starting dockerd");
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!Answers())
            {
                if (DateTime.UtcNow > deadline) Assert.Fail($"dockerd did not answer on {Socket} within 60 s; see /var/log/sbuild-test-docker.log");
                Thread.Sleep(250);
            }
        }
    }

    private static bool Answers() => File.Exists(Socket) && Docker("version", "--format", "{{.Server.Version}}").ExitCode == 0;
}
