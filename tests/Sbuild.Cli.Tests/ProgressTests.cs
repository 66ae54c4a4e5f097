using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sbuild.Solver;
using Sbuild.TestSupport;
using Spectre.Console;

namespace Sbuild.Cli.Tests;

/// <summary><c>--progress=auto|tty|plain|quiet|rawjson</c>, run as the real CLI (tty under a pseudo-terminal made by
/// <c>script</c>), plus the displays driven directly where a process cannot show the detail.</summary>
public sealed class ProgressTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    [Fact]
    public async Task Rawjson_prints_one_buildkit_solve_status_per_line_with_vertexes_logs_and_cached_rebuilds()
    {
        using var context = new TempDirectory("sbuild-rawjson-");
        var marker = $"rawjson-{Guid.NewGuid():N}";
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM busybox\nCOPY a.txt /a.txt\nRUN echo {marker} && cat /a.txt\n");
        File.WriteAllText(context.Combine("a.txt"), "from-the-context\n");

        var first = await sbuild.RunAsync(["--progress", "rawjson", "-t", "rawjson:1", context.Path], epoch: 0);
        var events = ParseLines(first.StandardError);
        var vertexes = events.Where(e => e.TryGetProperty("vertexes", out _)).SelectMany(e => e.GetProperty("vertexes").EnumerateArray()).ToList();
        var names = vertexes.Select(v => v.GetProperty("name").GetString()!).Distinct().ToList();
        Assert.Equal(3, names.Count); // FROM, COPY, RUN
        foreach (var name in names)
        {
            var mine = vertexes.Where(v => v.GetProperty("name").GetString() == name).ToList();
            Assert.Contains(mine, v => v.TryGetProperty("started", out _) && !v.TryGetProperty("completed", out _));
            var done = Assert.Single(mine, v => v.TryGetProperty("completed", out _));
            Assert.False(done.TryGetProperty("cached", out _));
            Assert.False(done.TryGetProperty("error", out _));
            Assert.Matches("^sha256:[0-9a-f]{64}$", done.GetProperty("digest").GetString());
            Assert.True(DateTimeOffset.Parse(done.GetProperty("started").GetString()!) <= DateTimeOffset.Parse(done.GetProperty("completed").GetString()!));
        }

        var run = vertexes.First(v => v.GetProperty("name").GetString()!.Contains($"RUN echo {marker}"));
        var logs = events.Where(e => e.TryGetProperty("logs", out _)).SelectMany(e => e.GetProperty("logs").EnumerateArray()).ToList();
        var lines = logs.Where(l => l.GetProperty("vertex").GetString() == run.GetProperty("digest").GetString())
            .Select(l => Encoding.UTF8.GetString(l.GetProperty("data").GetBytesFromBase64())).ToList();
        Assert.Contains($"{marker}\n", lines);
        Assert.Contains("from-the-context\n", lines);
        Assert.All(logs, l => Assert.Equal(1, l.GetProperty("stream").GetInt32()));
        Assert.Matches("^sha256:[0-9a-f]{64}\n$", first.StandardOutput); // stdout keeps only the image ID

        var second = await sbuild.RunAsync(["--progress", "rawjson", "-t", "rawjson:1", context.Path], epoch: 0);
        var cached = ParseLines(second.StandardError).Where(e => e.TryGetProperty("vertexes", out _))
            .SelectMany(e => e.GetProperty("vertexes").EnumerateArray())
            .Where(v => v.TryGetProperty("cached", out var c) && c.GetBoolean())
            .Select(v => v.GetProperty("name").GetString()).ToList();
        Assert.Equal(2, cached.Count); // COPY and RUN; the base image step always runs
        Assert.Contains(cached, n => n!.Contains("RUN echo"));
        Assert.Equal(first.StandardOutput, second.StandardOutput);
    }

    [Fact]
    public async Task Rawjson_reports_a_failed_step_with_its_error_then_the_plain_error_line()
    {
        using var context = new TempDirectory("sbuild-rawjson-fail-");
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM busybox\nRUN echo {Guid.NewGuid():N} && exit 3\n");
        var result = await sbuild.RunAsync(["--progress", "rawjson", context.Path], allowFailure: true, epoch: 0);
        Assert.NotEqual(0, result.ExitCode);
        // The stream, then the error as a plain (multi-line) message, as buildctl does.
        var lines = result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var errorAt = Array.FindIndex(lines, l => l.StartsWith("error"));
        Assert.True(errorAt > 0, result.StandardError);
        var events = ParseLines(string.Join('\n', lines[..errorAt]));
        var failed = events.Where(e => e.TryGetProperty("vertexes", out _)).SelectMany(e => e.GetProperty("vertexes").EnumerateArray())
            .Single(v => v.TryGetProperty("error", out _));
        Assert.Contains("RUN echo", failed.GetProperty("name").GetString());
        Assert.True(failed.TryGetProperty("completed", out _));
    }

    [Fact]
    public async Task A_cached_rebuild_lists_its_steps_in_dockerfile_order_as_buildkit_does()
    {
        using var context = new TempDirectory("sbuild-order-");
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM busybox\nCOPY a.txt /a.txt\nRUN echo {Guid.NewGuid():N}\n");
        File.WriteAllText(context.Combine("a.txt"), "x\n");
        await sbuild.RunAsync(["--progress", "plain", context.Path]);

        var again = await sbuild.RunAsync(["--progress", "plain", context.Path]);
        // BuildKit 0.32 prints "#4 [1/3] FROM …", "#6 [2/3] COPY a.txt /a.txt" CACHED, "#7 [3/3] RUN …" CACHED.
        var steps = Regex.Matches(again.StandardError, @"(?m)^#(\d+) (\[.*)$").Select(m => (Number: m.Groups[1].Value, Name: m.Groups[2].Value)).ToList();
        Assert.Equal(["1", "2", "3"], steps.Select(s => s.Number));
        Assert.Equal("[1/3] FROM busybox", steps[0].Name);
        Assert.Equal("[2/3] COPY a.txt /a.txt", steps[1].Name);
        Assert.StartsWith("[3/3] RUN echo ", steps[2].Name);
        Assert.Matches(@"(?m)^#2 CACHED\n#3 \[3/3\] RUN echo \w+\n#3 CACHED$", again.StandardError);
    }

    [Fact]
    public async Task Tty_under_a_terminal_shows_steps_cached_steps_and_a_summary()
    {
        using var context = new TempDirectory("sbuild-tty-");
        var marker = $"tty-{Guid.NewGuid():N}";
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM busybox\nCOPY a.txt /a.txt\nRUN echo {marker}\n");
        File.WriteAllText(context.Combine("a.txt"), "x\n");

        var first = await RunUnderTerminalAsync(["--progress", "tty", "-t", "tty:1", context.Path]);
        Assert.Equal(0, first.ExitCode);
        var screen = WithoutEscapes(first.StandardOutput);
        Assert.Contains("1/3] FROM busybox", screen);
        Assert.Contains("2/3] COPY a.txt /a.txt", screen);
        Assert.Contains($"3/3] RUN echo {marker}", screen);
        Assert.Matches(@"DONE \d+\.\ds", screen);
        Assert.Matches(@"Built in \d+\.\ds: 3 steps, 0 cached", screen);
        Assert.Matches("sha256:[0-9a-f]{64}", screen); // stdout, merged by the terminal
        Assert.Contains("\e[?25h", first.StandardOutput); // the cursor is shown again
        Assert.DoesNotContain("#1 ", screen); // not the plain format

        var second = await RunUnderTerminalAsync(["--progress=tty", "-t", "tty:1", context.Path]);
        Assert.Equal(0, second.ExitCode);
        Assert.Equal(2, Regex.Matches(second.StandardOutput, "CACHED").Count);
        Assert.Matches(@"Built in \d+\.\ds: 3 steps, 2 cached", WithoutEscapes(second.StandardOutput));

        // auto on a terminal is tty.
        var auto = await RunUnderTerminalAsync(["--progress", "auto", "-t", "tty:1", context.Path]);
        Assert.Matches(@"Built in \d+\.\ds: 3 steps, 2 cached", WithoutEscapes(auto.StandardOutput));
    }

    [Fact]
    public async Task Tty_ends_the_display_before_the_error_of_a_failed_build()
    {
        using var context = new TempDirectory("sbuild-tty-fail-");
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM busybox\nRUN echo {Guid.NewGuid():N}-out && exit 7\n");
        var result = await RunUnderTerminalAsync(["--progress", "tty", context.Path]);
        Assert.NotEqual(0, result.ExitCode);
        var screen = result.StandardOutput;
        Assert.Matches(@"ERROR \d+\.\ds", WithoutEscapes(screen));
        var summary = screen.IndexOf("Failed after", StringComparison.Ordinal);
        var error = screen.IndexOf("error[", StringComparison.Ordinal);
        Assert.True(summary >= 0 && error > summary, screen);
        Assert.True(screen.LastIndexOf("\e[?25h", StringComparison.Ordinal) < error, "the cursor is back before the error is printed");
        Assert.DoesNotContain("\e[", screen[error..]); // nothing draws over the error
    }

    [Fact]
    public async Task Auto_with_redirected_stderr_is_the_plain_format()
    {
        using var context = new TempDirectory("sbuild-auto-");
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM busybox\nRUN echo {Guid.NewGuid():N}\n");
        var result = await sbuild.RunAsync(["--progress", "auto", context.Path], epoch: 0);
        Assert.Matches(@"(?m)^#1 \[1/2\] FROM busybox$", result.StandardError);
        Assert.Matches(@"(?m)^#\d+ DONE \d+\.\ds$", result.StandardError);
        Assert.DoesNotContain("\e", result.StandardError);
        var byDefault = await sbuild.RunAsync([context.Path], epoch: 0);
        Assert.Matches(@"(?m)^#\d+ CACHED$", byDefault.StandardError);
    }

    [Theory]
    [InlineData("--progress", "quiet")]
    [InlineData("-q", null)] // as docker build -q
    public async Task Quiet_prints_nothing_but_the_image_id(string flag, string? value)
    {
        using var context = new TempDirectory("sbuild-quiet-");
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM busybox\nRUN echo {Guid.NewGuid():N}\n");
        var result = await sbuild.RunAsync(value is null ? ["build", flag, context.Path] : ["build", flag, value, context.Path], epoch: 0);
        Assert.Equal("", result.StandardError);
        Assert.Matches("^sha256:[0-9a-f]{64}\n$", result.StandardOutput);
    }

    [Fact]
    public async Task An_unknown_progress_value_is_refused_naming_the_flag()
    {
        var result = await sbuild.RunAsync(["--progress", "bogus", "."], allowFailure: true);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--progress", result.StandardError);
        Assert.Contains("bogus", result.StandardError);
        Assert.Contains("rawjson", result.StandardError);
    }

    [Fact]
    public void Tty_shows_the_last_lines_of_a_running_step_then_its_result_and_the_summary()
    {
        var screen = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(screen),
        });
        using (var display = new TtyProgress(console, CancellationToken.None, live: false))
        {
            display.Report(new SolveEvent("[stage-0 1/2] FROM busybox", VertexStatus.Cached, TimeSpan.Zero));
            display.Report(new SolveEvent("[stage-0 2/2] RUN make", VertexStatus.Started, TimeSpan.Zero));
            for (var i = 1; i <= 10; i++) display.Output("[stage-0 2/2] RUN make", $"line {i}\e[31m red\e[0m\tend");
            display.Note("pulled busybox");
            display.Refresh();
            var frame = WithoutEscapes(screen.ToString());
            Assert.Contains("[stage-0 2/2] RUN make", frame);
            Assert.DoesNotContain("line 4 ", frame);
            Assert.Contains("line 5 red", frame);
            Assert.Contains("line 10 red", frame);
            Assert.Contains(" => pulled busybox", frame);
            Assert.Matches(@"\[\+\] Building \d+\.\ds \(1/2\)", frame);
            display.Report(new SolveEvent("[stage-0 2/2] RUN make", VertexStatus.Completed, TimeSpan.FromSeconds(1.2)));
            display.Warning("UnusedBuildArgs: one or more build-args [X] were not consumed");
            display.Complete();
        }
        var end = WithoutEscapes(screen.ToString());
        Assert.Contains("WARN: UnusedBuildArgs: one or more build-args [X] were not consumed", end);
        Assert.Matches(@" => \[stage-0 2/2\] RUN make +DONE 1\.2s", end);
        Assert.Matches(@" => \[stage-0 1/2\] FROM busybox +CACHED", end);
        Assert.Matches(@"Built in \d+\.\ds: 2 steps, 1 cached", end);
        Assert.EndsWith("\e[?25h", screen.ToString());
    }

    [Fact]
    public void Tty_ended_without_completing_says_the_build_stopped_not_that_it_was_built()
    {
        // E.g. the build succeeded but its push failed: the error follows, so "Built in" would mislead.
        var screen = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(screen),
        });
        using (var display = new TtyProgress(console, CancellationToken.None, live: false))
            display.Report(new SolveEvent("[stage-0 1/1] FROM busybox", VertexStatus.Cached, TimeSpan.Zero));
        var end = WithoutEscapes(screen.ToString());
        Assert.Matches(@"Stopped after \d+\.\ds: 1 step, 1 cached", end);
        Assert.DoesNotContain("Built in", end);
    }

    [Fact]
    public async Task Rawjson_lines_stay_whole_when_parallel_steps_report_at_once()
    {
        var output = new MemoryStream();
        using (var display = new RawJsonProgress(output))
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(n => Task.Run(() =>
            {
                var name = $"[s{n} 1/1] RUN step {n}";
                display.Report(new SolveEvent(name, VertexStatus.Started, TimeSpan.Zero));
                for (var i = 0; i < 200; i++) display.Output(name, $"output {n} {i} \"quoted\" ünïcode");
                display.Note($"note {n}");
                display.Report(new SolveEvent(name, VertexStatus.Failed, TimeSpan.FromMilliseconds(5), new OperationCanceledException()));
            })));
        }
        var events = ParseLines(Encoding.UTF8.GetString(output.ToArray()));
        Assert.Equal(8 * (200 + 3), events.Count);
        Assert.Equal(8, events.Count(e => e.TryGetProperty("vertexes", out var v) && v[0].TryGetProperty("error", out var error)
            && error.GetString() == "context canceled"));
        Assert.Contains(events, e => e.TryGetProperty("logs", out var l)
            && Encoding.UTF8.GetString(l[0].GetProperty("data").GetBytesFromBase64()) == "output 3 199 \"quoted\" ünïcode\n");
        Assert.Equal(8, events.Count(e => e.TryGetProperty("statuses", out var s) && s[0].GetProperty("id").GetString()!.StartsWith("note-")));
    }

    /// <summary>The text of a terminal's output: colours and cursor movements taken out.</summary>
    private static string WithoutEscapes(string screen) => Regex.Replace(screen, @"\e(\[[0-9;?]*[A-Za-z]|[=>])", "");

    private static List<JsonElement> ParseLines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                return document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new Xunit.Sdk.XunitException($"not a JSON line: {line} ({e.Message})");
            }
        }).ToList();

    /// <summary>Runs sbuild with its standard streams on a pseudo-terminal (<c>script</c>), as a person at a terminal
    /// would; the terminal merges stdout and stderr into <see cref="ProcessResult.StandardOutput"/>, with CRLF line ends
    /// turned back into LF.</summary>
    private async Task<ProcessResult> RunUnderTerminalAsync(IEnumerable<string> args)
    {
        var script = Tools.Require("script", "apt-get install bsdutils");
        var cli = Path.Combine(AppContext.BaseDirectory, "sbuild.dll");
        var command = ProcessRunner.FormatCommandLine("dotnet", [cli, .. args]);
        var env = new Dictionary<string, string?>
        {
            ["SBUILD_ROOT"] = sbuild.StoreRoot, ["SOURCE_DATE_EPOCH"] = "0", ["SBUILD_DEBUG"] = null,
            ["XDG_CONFIG_HOME"] = sbuild.ConfigHome, ["DOCKER_CONFIG"] = sbuild.DockerConfig, ["TERM"] = "xterm", ["NO_COLOR"] = null,
        };
        var result = await ProcessRunner.RunAsync(script, ["-qec", command, "/dev/null"],
            new ProcessRunOptions { Environment = env, AllowFailure = true, Timeout = TimeSpan.FromMinutes(5) }, CancellationToken.None);
        return result with { StandardOutput = result.StandardOutput.Replace("\r\n", "\n") };
    }
}
