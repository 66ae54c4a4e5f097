using System.Diagnostics;
using System.Text;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// SIGINT or SIGTERM in each phase of a build before and after its steps run (RUN and context hashing have tests in
/// <see cref="InterruptTests"/>): reading the Dockerfile, planning it, exporting. Each phase is recognised by what the
/// process holds or has written, never by a sleep; the build must then end with 130 or 143 and one line, no stack
/// trace, and leave nothing in the store (<see cref="StoreState"/>) or beside the export's destination.
/// </summary>
public sealed class SignalPhaseTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    [Fact]
    public async Task Sigint_while_reading_the_dockerfile_from_a_stdin_that_never_ends()
    {
        using var context = new TempDirectory("sbuild-signal-");
        using var build = SignalledBuild.Start(sbuild, ["build", "-f", "-", context.Path], redirectInput: true);
        // The Dockerfile from standard input is being received once its file exists in this process's scratch space.
        var scratch = Path.Combine(sbuild.StoreRoot, "tmp");
        await build.WaitUntilAsync("reading standard input", () =>
            Directory.Exists(scratch) && Directory.EnumerateFiles(scratch, "Dockerfile", SearchOption.AllDirectories).Any());

        await build.SignalAndExpectAsync("INT", 130, "error: build cancelled");
        await AssertNothingLeftAsync();
    }

    [Fact]
    public async Task Sigterm_while_reading_a_dockerfile_from_a_fifo_whose_writer_never_writes()
    {
        using var context = new TempDirectory("sbuild-signal-");
        var fifo = context.Combine("Dockerfile.fifo");
        await ProcessRunner.RunAsync("mkfifo", [fifo], CancellationToken.None);
        using var build = SignalledBuild.Start(sbuild, ["build", "-f", fifo, context.Path]);
        // Opening the FIFO for writing waits for sbuild to open it for reading; the writer then stays silent.
        await using var writer = await Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Write)).WaitAsync(TimeSpan.FromMinutes(2));
        await build.WaitUntilAsync("reading the FIFO", () => build.OpenFiles().Contains(fifo));

        await build.SignalAndExpectAsync("TERM", 143, "error: build cancelled (SIGTERM)");
        await AssertNothingLeftAsync();
    }

    /// <summary>Planning 500,000 ENV instructions takes many seconds (the 100,000-line bound is a few): the signal comes
    /// once sbuild has read the whole Dockerfile (from a FIFO, so the test sees it closed) and before any step starts.</summary>
    [Fact]
    public async Task Sigint_while_planning_a_huge_dockerfile()
    {
        using var context = new TempDirectory("sbuild-signal-");
        var fifo = context.Combine("Dockerfile.fifo");
        await ProcessRunner.RunAsync("mkfifo", [fifo], CancellationToken.None);
        var text = new StringBuilder("FROM busybox\n");
        for (var i = 0; i < 500_000; i++) text.Append("ENV K").Append(i).Append("=v").Append(i).Append('\n');
        text.Append("RUN true\n");
        using var build = SignalledBuild.Start(sbuild, ["build", "--progress", "plain", "-f", fifo, context.Path]);
        await Task.Run(() => File.WriteAllText(fifo, text.ToString())).WaitAsync(TimeSpan.FromMinutes(2));
        await build.WaitUntilAsync("planning", () => !build.OpenFiles().Contains(fifo));
        Assert.DoesNotContain("#1 ", build.Stderr); // no step has started: the build is still planning

        await build.SignalAndExpectAsync("INT", 130, "error: build cancelled");
        Assert.DoesNotContain("#1 ", build.Stderr);
        await AssertNothingLeftAsync();
    }

    /// <summary>The image's 300 MB layer makes the export take long enough to be caught writing: the signal comes once
    /// sbuild holds a file in the destination's directory; afterwards neither the destination nor anything else is there.</summary>
    [Theory]
    [InlineData("tar", "INT", 130)]
    [InlineData("oci", "TERM", 143)]
    public async Task A_signal_while_exporting_leaves_no_destination(string type, string signal, int exitCode)
    {
        using var context = new TempDirectory("sbuild-signal-");
        using var destination = new TempDirectory("sbuild-signal-dest-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN dd if=/dev/urandom of=/big bs=1M count=300 2>/dev/null\n");
        await sbuild.RunAsync(["build", "-t", "signal-export:latest", context.Path]); // the build itself, so the export comes at once
        var dest = destination.Combine("image.tar");
        using var build = SignalledBuild.Start(sbuild, ["build", "-o", $"type={type},dest={dest}", context.Path]);
        await build.WaitUntilAsync("exporting", () => build.OpenFiles().Any(f => f.StartsWith(destination.Path + "/", StringComparison.Ordinal)));

        await build.SignalAndExpectAsync(signal, exitCode, "error: build cancelled");
        Assert.Empty(Directory.EnumerateFileSystemEntries(destination.Path));
        await AssertNothingLeftAsync();
    }

    private async Task AssertNothingLeftAsync()
    {
        var problems = await StoreState.ProblemsAsync(sbuild.StoreRoot);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>A build in a process of its own, its standard error collected, to be signalled once a phase is reached.</summary>
    private sealed class SignalledBuild : IDisposable
    {
        private static readonly TimeSpan PhaseTimeout = TimeSpan.FromMinutes(3);
        private readonly StringBuilder _stderr = new();
        private readonly Process _process;

        private SignalledBuild(Process process) => _process = process;

        public string Stderr
        {
            get { lock (_stderr) return _stderr.ToString(); }
        }

        public static SignalledBuild Start(SbuildCli sbuild, IReadOnlyList<string> args, bool redirectInput = false)
        {
            var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "sbuild.dll"), .. args])
            {
                RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = redirectInput,
                Environment = { ["SBUILD_ROOT"] = sbuild.StoreRoot, ["XDG_CONFIG_HOME"] = sbuild.ConfigHome, ["DOCKER_CONFIG"] = sbuild.DockerConfig },
            };
            var build = new SignalledBuild(Process.Start(info)!);
            build._process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null) lock (build._stderr) build._stderr.AppendLine(e.Data);
            };
            build._process.OutputDataReceived += (_, _) => { };
            build._process.BeginErrorReadLine();
            build._process.BeginOutputReadLine();
            return build;
        }

        public async Task WaitUntilAsync(string phase, Func<bool> reached)
        {
            var deadline = DateTime.UtcNow + PhaseTimeout;
            while (!reached())
            {
                if (_process.HasExited) Assert.Fail($"sbuild ended (exit {_process.ExitCode}) before {phase}:\n{Stderr}");
                if (DateTime.UtcNow > deadline) Assert.Fail($"sbuild did not reach {phase} in {PhaseTimeout}:\n{Stderr}");
                await Task.Delay(10);
            }
        }

        public async Task SignalAndExpectAsync(string signal, int exitCode, string message)
        {
            await ProcessRunner.RunAsync("kill", [$"-{signal}", _process.Id.ToString()], CancellationToken.None);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            var text = Stderr;
            Assert.True(exitCode == _process.ExitCode, $"exit {_process.ExitCode}, expected {exitCode}:\n{text}");
            Assert.Contains(message, text);
            Assert.DoesNotContain("   at ", text);
            Assert.DoesNotContain("Exception", text);
            Assert.DoesNotContain("internal error", text);
        }

        /// <summary>The files the process holds open.</summary>
        public HashSet<string> OpenFiles() => ProcessFiles.Open(_process.Id);

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }
}
