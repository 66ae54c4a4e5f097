namespace Sbuild.TestSupport;

/// <summary>
/// xunit fixture (<c>IClassFixture&lt;DockerDaemon&gt;</c> or a collection fixture) that makes sure a private Debian
/// dockerd is running and answering on <see cref="Socket"/>, and hands out a <see cref="DockerClient"/> for it.
/// <para>
/// The daemon is started once and deliberately left running after the tests: starting dockerd costs seconds, and test
/// processes (several test projects may run at once) then just reuse it. Start-up is serialized within the process and,
/// through a lock file, across processes. Stop it by hand with <c>kill $(cat /run/sbuild-test-docker.pid)</c>.
/// </para>
/// <para>
/// The daemon has no bridge network (<c>--bridge=none</c>, no iptables): builds must use <c>--network=host</c>.
/// Its log is <see cref="LogPath"/>.
/// </para>
/// </summary>
public sealed class DockerDaemon : IAsyncLifetime
{
    public const string DaemonPath = "/usr/sbin/dockerd";
    public const string ClientPath = "/usr/bin/docker";
    public const string Socket = "/run/sbuild-test-docker.sock";
    public const string Host = "unix://" + Socket;
    public const string DataRoot = "/var/lib/sbuild-test-docker";
    public const string ExecRoot = "/run/sbuild-test-docker";
    public const string PidFile = "/run/sbuild-test-docker.pid";
    public const string LogPath = "/tmp/sbuild-test-dockerd.log";
    private const string LockPath = "/run/sbuild-test-docker.lock";
    private const string InstallHint = "install docker.io (apt-get install docker.io)";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static DockerClient? _ready;

    /// <summary>The client for the running daemon; available once the fixture is initialized.</summary>
    public DockerClient Client => _ready ?? throw new InvalidOperationException(
        "the docker daemon is not started yet: use DockerDaemon as an xunit fixture or await DockerDaemon.EnsureStartedAsync");

    Task IAsyncLifetime.InitializeAsync() => EnsureStartedAsync(CancellationToken.None);

    /// <summary>Leaves the daemon running on purpose (see the class summary).</summary>
    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    /// <summary>Idempotent and thread-safe: reuses a daemon that answers, else starts one and waits until it does.</summary>
    public static async Task<DockerClient> EnsureStartedAsync(CancellationToken ct)
    {
        if (_ready is { } ready) return ready;
        await Gate.WaitAsync(ct);
        try
        {
            if (_ready is not null) return _ready;
            Tools.Require(DaemonPath, InstallHint);
            Tools.Require(ClientPath, InstallHint);
            var client = new DockerClient(ClientPath, Host);
            if (!await client.IsAnsweringAsync(ct))
            {
                using var crossProcess = await AcquireLockAsync(ct);
                if (!await client.IsAnsweringAsync(ct)) await StartAsync(client, ct);
            }
            return _ready = client;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task StartAsync(DockerClient client, CancellationToken ct)
    {
        var logOffset = File.Exists(LogPath) ? new FileInfo(LogPath).Length : 0;
        // A daemon that is alive but not answering yet (just started by someone else) is waited for, not doubled.
        if (!DaemonPidFile.IsLiveDockerd(PidFile))
        {
            DaemonPidFile.RemoveIfStale(PidFile);
            await LaunchDetachedAsync(ct);
        }
        await WaitUntilAnsweringAsync(client, logOffset, ct);
    }

    /// <summary>
    /// setsid -f puts dockerd in its own session and reparents it to init, so neither the test host's exit nor its
    /// process-tree kill takes the daemon down; the shell only sets up the log redirection and execs.
    /// </summary>
    private static async Task LaunchDetachedAsync(CancellationToken ct)
    {
        var setsid = Tools.Require("setsid", "apt-get install util-linux");
        string[] daemonArgs =
        [
            DaemonPath, "--iptables=false", "--ip-forward=false", "--bridge=none",
            "--data-root", DataRoot, "--exec-root", ExecRoot, "--pidfile", PidFile, "-H", Host,
        ];
        var script = $"exec {string.Join(' ', daemonArgs)} >>{LogPath} 2>&1 </dev/null";
        await ProcessRunner.RunAsync(setsid, ["-f", "/bin/sh", "-c", script], ct);
    }

    private static async Task WaitUntilAnsweringAsync(DockerClient client, long logOffset, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await client.IsAnsweringAsync(ct)) return;
            var log = ReadLogSince(logOffset);
            if (log.Contains("level=fatal", StringComparison.Ordinal))
                throw new InvalidOperationException($"dockerd failed to start; the end of {LogPath}:\n{Tail(log)}");
            await Task.Delay(250, ct);
        }
        throw new TimeoutException(
            $"dockerd did not answer on {Socket} within {StartTimeout.TotalSeconds} s; the end of {LogPath}:\n{Tail(ReadLogSince(logOffset))}");
    }

    private static string ReadLogSince(long offset)
    {
        if (!File.Exists(LogPath)) return "";
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(Math.Min(offset, stream.Length), SeekOrigin.Begin);
        return new StreamReader(stream).ReadToEnd();
    }

    private static string Tail(string log)
    {
        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('\n', lines.TakeLast(30));
    }

    /// <summary>An exclusive flock on a lock file (FileShare.None maps to flock on Unix), held while starting.</summary>
    private static async Task<FileStream> AcquireLockAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + StartTimeout + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct);
            }
        }
    }
}

/// <summary>Reads dockerd's pid file to tell a live daemon from a stale file left by one that died.</summary>
public static class DaemonPidFile
{
    /// <summary>True when the file names a running process whose command is dockerd.</summary>
    public static bool IsLiveDockerd(string pidFile)
    {
        var pid = ReadPid(pidFile);
        if (pid is null) return false;
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim() == "dockerd";
        }
        catch (IOException)
        {
            return false; // no such process
        }
    }

    /// <summary>
    /// Deletes the pid file unless it names a live dockerd. dockerd refuses to start while its pid file names a running
    /// process, and after a crash that pid may have been reused by an unrelated one.
    /// </summary>
    public static void RemoveIfStale(string pidFile)
    {
        if (File.Exists(pidFile) && !IsLiveDockerd(pidFile)) File.Delete(pidFile);
    }

    private static int? ReadPid(string pidFile)
    {
        try
        {
            return int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) && pid > 0 ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
