using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// Debugging a build after the fact: every step's whole output kept on disk (<c>sbuild logs</c>; BuildKit clips a step's
/// log at 1 MiB) and a failed RUN's filesystem kept and entered with <c>sbuild debug shell</c>.
/// </summary>
public sealed class BuildDebuggingTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    /// <summary>Runs sbuild with its standard output written to <paramref name="file"/> (bytes, not decoded text).</summary>
    private Task<ProcessResult> RunToFileAsync(IEnumerable<string> args, string file, bool allowFailure = false) =>
        sbuild.RunAsync(args, allowFailure: allowFailure, under: ["sh", "-c", $"\"$@\" > '{file}'", "sh"]);

    [Fact]
    public async Task A_step_printing_5_MB_gets_its_whole_output_back_byte_for_byte()
    {
        using var context = new TempDirectory("sbuild-logs-");
        // 5 MB of random bytes (binary: invalid UTF-8, \r, lines of any length, no final newline), printed on stdout and
        // kept in the image to compare with; then text with \r\n, a bare \r, invalid UTF-8 and no final newline on stderr.
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM busybox
            RUN echo small step
            RUN head -c 5000000 /dev/urandom > /printed && cat /printed
            RUN printf 'dos\r\nbar\rbaz\n\200\377 bad\nno newline' >&2
            """);
        var output = context.Combine("out");
        await sbuild.RunAsync(["--progress", "plain", "-o", $"type=local,dest={output}", context.Path]);
        var printed = File.ReadAllBytes(Path.Combine(output, "printed"));
        Assert.Equal(5_000_000, printed.Length);

        var list = await sbuild.RunAsync(["logs", "--last"]);
        Assert.Matches(@"(?m)^1 +0 .*RUN echo small step$", list.StandardOutput);
        Assert.Matches(@"(?m)^2 +0 .*RUN head -c 5000000", list.StandardOutput);

        var log = context.Combine("step2.log");
        await RunToFileAsync(["logs", "--last", "--step", "2"], log);
        Assert.Equal(SHA256.HashData(printed), SHA256.HashData(File.ReadAllBytes(log)));
        var small = context.Combine("step1.log");
        await RunToFileAsync(["logs", "--last", "--step", "1"], small);
        Assert.Equal("small step\n", File.ReadAllText(small));
        var text = context.Combine("step3.log");
        await RunToFileAsync(["logs", "--last", "--step", "3"], text);
        Assert.Equal([.. "dos\r\nbar\rbaz\n"u8, 0x80, 0xFF, .. " bad\nno newline"u8], File.ReadAllBytes(text));

        // A cached rebuild runs no step and writes no logs: --last still names the build that ran them.
        await sbuild.RunAsync([context.Path]);
        var again = await sbuild.RunAsync(["logs"]);
        Assert.Equal(list.StandardOutput, again.StandardOutput);

        var missing = await sbuild.RunAsync(["logs", "--last", "--step", "9"], allowFailure: true);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("error[SB2010]: build ", missing.StandardError);
        Assert.Contains("has no step 9: it ran steps 1 to 3", missing.StandardError);
    }

    [Fact]
    public async Task Only_the_last_5_failures_are_kept_and_an_older_one_says_so()
    {
        using var store = new TempDirectory("sbuild-failures-store-");
        await sbuild.RunAsync(["image", "import", sbuild.BusyboxTar, "busybox:latest"], storeRoot: store.Path);
        using var context = new TempDirectory("sbuild-failures-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nARG N\nRUN echo $N > /n && exit 1\n");
        var builds = new List<string>();
        for (var n = 1; n <= 6; n++)
        {
            var failed = await sbuild.RunAsync(["--build-arg", $"N={n}", context.Path], allowFailure: true, storeRoot: store.Path);
            builds.Add(Regex.Match(failed.StandardError, @"sbuild debug shell (\S+) --step 1").Groups[1].Value);
        }
        var du = await sbuild.RunAsync(["du"], storeRoot: store.Path);
        Assert.Equal(5, Regex.Matches(du.StandardOutput, @"(?m)^failure \S+ step 1\s").Count);
        Assert.DoesNotContain($"failure {builds[0]} ", du.StandardOutput);
        var oldest = await sbuild.RunAsync(["debug", "shell", builds[0], "--step", "1", "--", "true"], allowFailure: true, storeRoot: store.Path);
        Assert.Contains($"error[SB2010]: no kept failure of build {builds[0]} step 1", oldest.StandardError);
        var second = await sbuild.RunAsync(["debug", "shell", builds[1], "--step", "1", "--", "cat", "/n"], storeRoot: store.Path);
        Assert.Equal("2\n", second.StandardOutput);
        var last = await sbuild.RunAsync(["debug", "shell", "--", "cat", "/n"], storeRoot: store.Path);
        Assert.Equal("6\n", last.StandardOutput);
        // The evicted failure's snapshot went with it: the store holds exactly the 5 kept failure snapshots.
        var failureSnapshots = Sbuild.Engine.SnapshotWorkspace.AllSnapshotsOf(new Sbuild.Core.ImageStore(store.Path))
            .SelectMany(snapshots => { using (snapshots) return snapshots.List().Select(i => i.Key).ToList(); })
            .Where(key => key.StartsWith("failure-", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, failureSnapshots.Count);
        Assert.DoesNotContain($"failure-{builds[0]}-1", failureSnapshots);
        Assert.Contains("store is consistent", (await sbuild.RunAsync(["doctor"], storeRoot: store.Path)).StandardError);
    }

    [Fact]
    public async Task On_error_shell_opens_a_shell_in_the_failed_step_when_stdin_is_a_terminal_and_the_build_still_fails()
    {
        using var context = new TempDirectory("sbuild-on-error-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nWORKDIR /w\nRUN echo left by the step > /w/note && exit 9\n");
        // script(1) gives sbuild a terminal; what it reads on it is the shell's input.
        var viaTerminal = await sbuild.RunAsync(["--on-error=shell", "--progress", "plain", context.Path], allowFailure: true, input: "tr a-z A-Z < /w/note; echo \"in $(pwd)\"; tty; exit 4\n",
            under: ["sh", "-c", "exec script -qefc \"$*\" /dev/null", "sh"]);
        Assert.Equal(1, viaTerminal.ExitCode); // the build's failure, not the shell's exit code
        // Only the shell's output: the terminal echoes the input line, and the progress shows the RUN, both as written.
        Assert.Contains("LEFT BY THE STEP", viaTerminal.StandardOutput);
        Assert.Contains("in /w", viaTerminal.StandardOutput);
        Assert.Matches(@"/dev/pts/\d+\r?\n", viaTerminal.StandardOutput); // a terminal of its own
        Assert.Matches(@"RUN failed with exit code 9(.|\n)*full output:", viaTerminal.StandardOutput); // the error follows the shell

        // Without a terminal the build fails as usual.
        var redirected = await sbuild.RunAsync(["--on-error=shell", context.Path], allowFailure: true, input: "echo not a shell\n");
        Assert.Equal(1, redirected.ExitCode);
        Assert.DoesNotContain("not a shell", redirected.StandardOutput + redirected.StandardError);
        var bad = await sbuild.RunAsync(["--on-error=debug", context.Path], allowFailure: true);
        Assert.Contains("--on-error \"debug\": must be fail or shell", bad.StandardError);
    }

    [Fact]
    public async Task Debug_shell_gives_the_command_a_terminal_of_its_own_only_when_stdin_is_a_terminal()
    {
        using var context = new TempDirectory("sbuild-debug-tty-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN echo tty test && exit 2\n");
        var failed = await sbuild.RunAsync([context.Path], allowFailure: true);
        var step = Regex.Match(failed.StandardError, @"sbuild debug shell (\S+) --step (\d+)");
        Assert.True(step.Success, failed.StandardError);
        string[] debug = ["debug", "shell", step.Groups[1].Value, "--step", step.Groups[2].Value];
        // script(1) runs sbuild on a real pty: the container gets a pty of its own (its devpts), and TERM as docker run -t sets it.
        string[] underTerminal = ["sh", "-c", "exec script -qefc \"$*\" /dev/null", "sh"];
        var tty = await sbuild.RunAsync([.. debug, "--", "sh", "-c", "'tty && echo term=$TERM'"], under: underTerminal);
        Assert.Matches(@"/dev/pts/\d+\r?\nterm=xterm\r?\n", tty.StandardOutput);
        // An interactive shell on it has job control (ash turns it off without a terminal: "can't access tty").
        var shell = await sbuild.RunAsync(debug, allowFailure: true, input: "echo flags $-; exit 5\n", under: underTerminal);
        Assert.Equal(5, shell.ExitCode);
        Assert.Matches(@"flags [a-z]*m", shell.StandardOutput);
        Assert.DoesNotContain("job control turned off", shell.StandardOutput);

        // Without a terminal: today's plain pipes, and no TERM.
        var plain = await sbuild.RunAsync([.. debug, "--", "sh", "-c", "tty; echo term=$TERM"], allowFailure: true);
        Assert.Equal("not a tty\nterm=\n", plain.StandardOutput);
    }

    [Fact]
    public async Task A_failed_run_is_kept_and_debug_shell_enters_it_with_the_steps_env_workdir_user_and_cache_mount_until_prune()
    {
        using var context = new TempDirectory("sbuild-debug-shell-");
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM busybox
            ENV FOO=from-env
            WORKDIR /work
            RUN chown 1234 /work
            USER 1234
            RUN --mount=type=cache,id=debug-shell-test,target=/cache,uid=1234 \
                echo made before failing > /work/made && echo in the cache > /cache/seen && echo about to fail && exit 7
            """);
        var failed = await sbuild.RunAsync(["--progress", "plain", context.Path], allowFailure: true);
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("RUN failed with exit code 7", failed.StandardError);
        Assert.Contains("  about to fail", failed.StandardError); // the tail, as before
        var logPath = Regex.Match(failed.StandardError, @"full output: (\S+) \(sbuild logs (\S+) --step (\d+)\)");
        Assert.True(logPath.Success, failed.StandardError);
        Assert.Equal("about to fail\n", File.ReadAllText(logPath.Groups[1].Value));
        Assert.StartsWith(Path.Combine(sbuild.StoreRoot, "logs") + "/", logPath.Groups[1].Value);
        Assert.Contains($"sbuild debug shell {logPath.Groups[2].Value} --step {logPath.Groups[3].Value}", failed.StandardError);

        var made = await sbuild.RunAsync(["debug", "shell", "--last-failure", "--", "cat", "/work/made"]);
        Assert.Equal("made before failing\n", made.StandardOutput);
        var inside = await sbuild.RunAsync(["debug", "shell", "--", "sh", "-c", "pwd; id -u; echo $FOO; cat /cache/seen"]);
        Assert.Equal("/work\n1234\nfrom-env\nin the cache\n", inside.StandardOutput);
        // By build ID and step, as the error message names it; the command's exit code is the shell's.
        var byId = await sbuild.RunAsync(["debug", "shell", logPath.Groups[2].Value, "--step", logPath.Groups[3].Value, "--", "sh", "-c", "touch /work/scratch; exit 5"], allowFailure: true);
        Assert.Equal(5, byId.ExitCode);
        // What a shell changes is thrown away: the failure stays as the step left it.
        var again = await sbuild.RunAsync(["debug", "shell", "--", "ls", "/work"]);
        Assert.Equal("made\n", again.StandardOutput);

        var du = await sbuild.RunAsync(["du"]);
        Assert.Contains($"failure {logPath.Groups[2].Value} step {logPath.Groups[3].Value}", du.StandardOutput);
        var doctor = await sbuild.RunAsync(["doctor"]);
        Assert.Contains("store is consistent", doctor.StandardError);

        await sbuild.RunAsync(["prune", "-f", "--all"]);
        Assert.DoesNotContain("failure ", (await sbuild.RunAsync(["du"])).StandardOutput);
        var none = await sbuild.RunAsync(["debug", "shell", "--last-failure", "--", "true"], allowFailure: true);
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("error[SB2010]: no failed RUN is kept", none.StandardError);
        Assert.Contains("there is nothing to debug", none.StandardError);
        var noLogs = await sbuild.RunAsync(["logs", "--last"], allowFailure: true);
        Assert.Contains("error[SB2010]: no build has logs", noLogs.StandardError);
        Assert.Contains("store is consistent", (await sbuild.RunAsync(["doctor"])).StandardError);
    }
}
