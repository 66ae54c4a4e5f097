using System.Diagnostics;
using System.Net.Sockets;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// Real git servers on 127.0.0.1 for remote-context and ADD tests: <c>git daemon</c> (git://, smart protocol, shallow
/// fetches), git's smart HTTP (<c>git http-backend</c>, <see cref="GitHttpBackendServer"/>) over the same repositories,
/// and a dumb-HTTP server (the files of repo.git after <c>git update-server-info</c>, no shallow fetches).
/// </summary>
/// <remarks>
/// <c>repo.git</c>: tag <c>v1</c> and annotated tag <c>v1-annotated</c> (a.txt "v1"), then <c>main</c> (a.txt "main",
/// sub/ with build/Dockerfile.sub and b.txt, a submodule <c>lib</c> from <c>lib.git</c>), and branch <c>feature</c> off
/// main (a.txt "feature"). Every Dockerfile copies its whole context, so a test sees exactly what the context held.
/// </remarks>
public sealed class GitRepositoryServers : IAsyncLifetime
{
    private readonly TempDirectory _work = new("sbuild-git-");
    private Process? _daemon;
    private TestHttpServer? _http;
    private GitHttpBackendServer? _smartHttp;

    public int DaemonPort { get; private set; }
    public string V1Commit { get; private set; } = "";
    public string MainCommit { get; private set; } = "";

    public string GitUrl(string repository) => $"git://127.0.0.1:{DaemonPort}/{repository}";
    public string HttpUrl(string repository) => _http!.Url("/" + repository);
    public string SmartHttpUrl(string repository) => _smartHttp!.Url(repository);

    private string Served => _work.Combine("served");

    public async Task InitializeAsync()
    {
        Tools.Require("git", "apt-get install git");
        Directory.CreateDirectory(Served);
        StartDaemon();

        var lib = _work.Combine("lib");
        await Git(null, "init", "-q", "-b", "main", lib);
        Write(lib, "l.txt", "from the submodule\n");
        await Commit(lib, "lib");
        await Git(null, "clone", "-q", "--bare", lib, Path.Combine(Served, "lib.git"));

        var work = _work.Combine("work");
        await Git(null, "init", "-q", "-b", "main", work);
        Write(work, "Dockerfile", "FROM scratch\nCOPY . /ctx/\n");
        Write(work, "a.txt", "v1\n");
        V1Commit = await Commit(work, "v1");
        await Git(work, "tag", "v1");
        await Git(work, "tag", "-a", "-m", "annotated v1", "v1-annotated");

        Write(work, "a.txt", "main\n");
        Write(work, "sub/b.txt", "in sub\n");
        Write(work, "sub/build/Dockerfile.sub", "FROM scratch\nCOPY . /sub/\n");
        await Git(work, "submodule", "add", "-q", GitUrl("lib.git"), "lib");
        MainCommit = await Commit(work, "main");

        await Git(work, "checkout", "-q", "-b", "feature");
        Write(work, "a.txt", "feature\n");
        await Commit(work, "feature");
        await Git(work, "checkout", "-q", "main");

        var bare = Path.Combine(Served, "repo.git");
        await Git(null, "clone", "-q", "--bare", work, bare);
        await Git(bare, "update-server-info");

        _smartHttp = new GitHttpBackendServer(Served);
        _http = new TestHttpServer();
        foreach (var file in Directory.EnumerateFiles(bare, "*", SearchOption.AllDirectories))
            _http.Serve("/repo.git/" + Path.GetRelativePath(bare, file), new TestResponse(200, File.ReadAllBytes(file)));
    }

    /// <summary>
    /// Commits what <paramref name="change"/> does to the work tree (its argument) to branch main of the served repository
    /// <paramref name="repository"/>, creating it on first use, and returns the new commit.
    /// </summary>
    public async Task<string> CommitToMainAsync(string repository, Action<string> change)
    {
        var work = _work.Combine("work-" + repository);
        var bare = Path.Combine(Served, repository);
        if (!Directory.Exists(bare))
        {
            await Git(null, "init", "-q", "-b", "main", work);
            await Git(null, "init", "-q", "--bare", "-b", "main", bare);
            await Git(work, "remote", "add", "origin", bare);
        }
        change(work);
        var commit = await Commit(work, "update");
        await Git(work, "push", "-q", "origin", "main");
        return commit;
    }

    /// <summary>Serves a file over http beside the repositories (tarball and Dockerfile contexts).</summary>
    public string ServeFile(string path, byte[] content, int status = 200)
    {
        _http!.Serve(path, new TestResponse(status, content));
        return _http.Url(path);
    }

    public string UnservedUrl(string path) => _http!.Url(path);

    private void StartDaemon()
    {
        for (var attempt = 1; ; attempt++)
        {
            DaemonPort = TestHttpServer.FreePort();
            var info = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in (string[])["daemon", "--export-all", "--reuseaddr", $"--base-path={Served}", "--listen=127.0.0.1", $"--port={DaemonPort}", Served])
                info.ArgumentList.Add(a);
            _daemon = Process.Start(info)!;
            _ = _daemon.StandardError.ReadToEndAsync();
            _ = _daemon.StandardOutput.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline && !_daemon.HasExited)
            {
                try
                {
                    using var probe = new TcpClient();
                    probe.Connect("127.0.0.1", DaemonPort);
                    return;
                }
                catch (SocketException)
                {
                    Thread.Sleep(50);
                }
            }
            StopDaemon();
            if (attempt == 5) throw new InvalidOperationException("git daemon did not start listening on 127.0.0.1");
        }
    }

    private void StopDaemon()
    {
        if (_daemon is null) return;
        try { _daemon.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _daemon.WaitForExit();
        _daemon.Dispose();
        _daemon = null;
    }

    public static void Write(string repo, string relative, string text)
    {
        var path = Path.Combine(repo, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static async Task<string> Commit(string repo, string message)
    {
        await Git(repo, "add", "-A");
        await Git(repo, "commit", "-q", "-m", message);
        return (await Git(repo, "rev-parse", "HEAD")).StandardOutput.Trim();
    }

    private static Task<ProcessResult> Git(string? dir, params string[] args) =>
        ProcessRunner.RunAsync("git", ["-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "protocol.file.allow=always", .. args],
            new ProcessRunOptions { WorkingDirectory = dir }, CancellationToken.None);

    public Task DisposeAsync()
    {
        StopDaemon();
        _http?.Dispose();
        _smartHttp?.Dispose();
        _work.Dispose();
        return Task.CompletedTask;
    }
}
