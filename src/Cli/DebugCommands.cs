using System.CommandLine;
using System.Globalization;
using Sbuild.Cli.Templates;
using Sbuild.Core;
using Sbuild.Engine;
using Sbuild.Engine.Debugging;

namespace Sbuild.Cli;

/// <summary><c>sbuild logs</c> (a build's full step output) and <c>sbuild debug shell</c> (a command in a kept failure).</summary>
public static class DebugCommands
{
    public static Command Logs(Option<string?> rootOption)
    {
        var build = new Argument<string?>("BUILD-ID") { Description = "The build (default: the last build that ran a step)", Arity = ArgumentArity.ZeroOrOne };
        var last = new Option<bool>("--last") { Description = "The last build that ran a step (the default)" };
        var step = new Option<int?>("--step") { Description = "Print this step's whole output, byte for byte (without it: the list of steps)" };
        var command = new Command("logs", "Print the full output of a build's steps, kept in the store for the last 20 builds") { build, last, step };
        command.SetAction(parse =>
        {
            var storeRoot = StoreLocation.Resolve(parse.GetValue(rootOption));
            var id = parse.GetValue(build);
            if (id is not null && parse.GetValue(last))
                throw new SbuildException(ErrorCode.InvalidOption, "sbuild logs: give --last or a BUILD-ID, not both");
            id ??= BuildLogs.Builds(storeRoot).LastOrDefault()
                ?? throw new SbuildException(ErrorCode.BuildRecordNotFound, $"no build has logs in {storeRoot} (a build writes them when it runs a step; sbuild prune removes them)");
            var index = BuildLogs.Read(storeRoot, id)
                ?? throw new SbuildException(ErrorCode.BuildRecordNotFound, $"no logs of build \"{id}\" in {storeRoot} (the last {BuildLogs.KeptBuilds} builds that ran a step are kept; sbuild logs lists the last one's steps)");
            if (parse.GetValue(step) is not { } number)
            {
                Console.Out.WriteLine($"build {index.Build}, started {index.Started.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture)}");
                var table = new System.Text.StringBuilder("STEP\tEXIT\tSIZE\tNAME\n");
                foreach (var s in index.Steps)
                {
                    var path = BuildLogs.StepLogPath(storeRoot, id, s.Step);
                    table.Append(CultureInfo.InvariantCulture, $"{s.Step}\t{(s.ExitCode is { } exit ? exit.ToString(CultureInfo.InvariantCulture) : "-")}\t")
                        .Append(DockerUnits.HumanSize(File.Exists(path) ? new FileInfo(path).Length : 0)).Append('\t').Append(s.Name).Append('\n');
                }
                Console.Out.Write(GoTabWriter.Format(table.ToString()));
                return 0;
            }
            if (!index.Steps.Any(s => s.Step == number))
                throw new SbuildException(ErrorCode.BuildRecordNotFound, $"build {id} has no step {number}: it ran steps 1 to {index.Steps.Count} (sbuild logs {id} lists them)");
            using var log = File.OpenRead(BuildLogs.StepLogPath(storeRoot, id, number));
            using var stdout = Console.OpenStandardOutput();
            log.CopyTo(stdout);
            return 0;
        });
        return command;
    }

    public static Command Shell(Option<string?> rootOption)
    {
        var lastFailure = new Option<bool>("--last-failure") { Description = "The last RUN that failed (the default)" };
        var step = new Option<int?>("--step") { Description = "The failed step N of BUILD-ID (as the build's error message names it)" };
        var secrets = new Option<string[]>("--secret") { Description = "Secret for the step's RUN --mount=type=secret, as in build: id=ID,src=FILE or id=ID,env=VAR; repeatable" };
        var ssh = new Option<string[]>("--ssh") { Description = "ssh-agent for the step's RUN --mount=type=ssh, as in build; repeatable" };
        var arguments = new Argument<string[]>("ARGS")
        {
            Description = "[BUILD-ID (with --step)] [-- CMD ARG...]: the command to run (default /bin/sh)", Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("shell", "Run a shell (or CMD) in the filesystem of a failed RUN, with its env, user, workdir and mounts")
            { lastFailure, step, secrets, ssh, arguments };
        command.SetAction(async (parse, ct) =>
        {
            var store = new ImageStore(StoreLocation.Resolve(parse.GetValue(rootOption)));
            var words = parse.GetValue(arguments) ?? [];
            KeptFailure failure;
            if (parse.GetValue(step) is { } number)
            {
                if (parse.GetValue(lastFailure) || words.Length == 0)
                    throw new SbuildException(ErrorCode.InvalidOption, "sbuild debug shell: --step N goes with a BUILD-ID (not with --last-failure)");
                failure = KeptFailures.Find(store.Root, words[0], number)
                    ?? throw new SbuildException(ErrorCode.BuildRecordNotFound, $"no kept failure of build {words[0]} step {number} (the last {KeptFailures.Kept} failed RUNs are kept; sbuild prune removes them)");
                words = words[1..];
            }
            else
                failure = KeptFailures.List(store.Root).LastOrDefault()
                    ?? throw new SbuildException(ErrorCode.BuildRecordNotFound, $"no failed RUN is kept in {store.Root}: there is nothing to debug (a RUN that fails is kept, the last {KeptFailures.Kept}; sbuild prune removes them)");
            using var hold = StoreHold.Shared(store.Root);
            using var agents = await SshForwards.StartAsync(parse.GetValue(ssh) ?? [], "--ssh", Environment.GetEnvironmentVariable, ct);
            return await RunAsync(store, failure, words, Secrets(parse.GetValue(secrets) ?? []), agents.Sockets, ct);
        });
        return command;
    }

    /// <summary>Runs <paramref name="words"/> (default <c>/bin/sh</c>) in <paramref name="failure"/>; its exit code is the command's.</summary>
    public static Task<int> RunAsync(ImageStore store, KeptFailure failure, IReadOnlyList<string> words, IReadOnlyDictionary<string, BuildSecret> secrets,
        IReadOnlyDictionary<string, SshAgentSocket> agents, CancellationToken ct)
    {
        var notes = new PlainProgress(Console.Error, quiet: false);
        notes.Note($"{failure.Name} (build {failure.Build} step {failure.Step}, exit code {failure.ExitCode}); changes made here are thrown away");
        return DebugShell.RunAsync(store, failure, words.Count > 0 ? words : ["/bin/sh"], secrets, agents, Runtimes.ChosenOnFirstUse(store.Root, notes), notes, ct);
    }

    public static IReadOnlyDictionary<string, BuildSecret> Secrets(IEnumerable<string> values) =>
        values.Select(v => BuildSecret.Parse(v, "--secret")).GroupBy(x => x.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
}
