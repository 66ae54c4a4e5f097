using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sbuild.Core;
using Sbuild.Core.Metadata;
using Sbuild.Engine.Explain;

namespace Sbuild.Cli;

/// <summary><c>sbuild cache why</c>: each step of an earlier build, cached or not, and for a miss every difference from the step's earlier record.</summary>
public static partial class CacheCommands
{
    public static Command Cache(Option<string?> rootOption)
    {
        var command = new Command("cache", "Explain the build cache");
        command.Subcommands.Add(Why(rootOption));
        return command;
    }

    private static Command Why(Option<string?> rootOption)
    {
        var buildId = new Argument<string?>("BUILD-ID") { Description = "A build's id (sbuild.build-id in --metadata-file) or a unique prefix of it", Arity = ArgumentArity.ZeroOrOne };
        var last = new Option<bool>("--last") { Description = "The newest build in the store (the default)" };
        var step = new Option<int?>("--step") { Description = "Only step N (steps are numbered in Dockerfile order, as listed)" };
        var command = new Command("why", "Show which steps of a build were cached and why the others missed") { buildId, last, step };
        command.SetAction(parse =>
        {
            var id = parse.GetValue(buildId);
            if (id is not null && parse.GetValue(last))
                throw new SbuildException(ErrorCode.InvalidOption, "cache why: give either a BUILD-ID or --last, not both");
            var store = new ImageStore(StoreLocation.Resolve(parse.GetValue(rootOption)));
            using var database = StoreDatabase.Open(store.Root);
            var build = FindBuild(database, id, store.Root);
            var steps = database.BuildSteps(build.Id);
            if (parse.GetValue(step) is { } n)
            {
                steps = steps.Where(s => s.Step == n).ToList();
                if (steps.Count == 0)
                    throw new SbuildException(ErrorCode.InvalidOption, $"cache why --step {n}: build {build.Id} has no step {n} (it has steps 1 to {database.BuildSteps(build.Id).Count})");
            }
            var started = DateTimeOffset.FromUnixTimeMilliseconds(build.Started).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
            Console.Out.WriteLine($"build {build.Id} of {build.Dockerfile} at {started}");
            foreach (var s in steps) WriteStep(s);
            return 0;
        });
        return command;
    }

    private static BuildRecord FindBuild(StoreDatabase database, string? id, string root)
    {
        var builds = database.ListBuilds();
        if (id is null)
            return builds.Count > 0 ? builds[0]
                : throw new SbuildException(ErrorCode.InvalidOption, $"cache why: the store {root} has no build records yet (or `sbuild prune --all` removed them)");
        var matches = builds.Where(b => b.Id.StartsWith(id, StringComparison.Ordinal)).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new SbuildException(ErrorCode.InvalidOption,
                $"cache why: no build \"{id}\" in the store {root}; builds keep their records until {BuildRecorder.BuildsKeptPerDockerfile} newer builds of the same Dockerfile or a `prune --all`"),
            _ => throw new SbuildException(ErrorCode.InvalidOption, $"cache why: \"{id}\" is the start of {matches.Count} build ids; give more of it"),
        };
    }

    private static void WriteStep(BuildStepRecord step)
    {
        Console.Out.WriteLine($"#{step.Step} {step.Name}");
        switch (step.Outcome)
        {
            case "cached":
                Console.Out.WriteLine("  CACHED");
                break;
            case "missed" when Explanation(step.Differences) is { } explanation:
                Console.Out.WriteLine($"  cache miss (compared with build {explanation.ComparedWith}):");
                foreach (var line in MissText.AllLines(explanation)) Console.Out.WriteLine($"    {line}");
                break;
            case "missed":
                Console.Out.WriteLine("  cache miss: no earlier record of this step to compare with");
                break;
            default:
                Console.Out.WriteLine("  ran without a cache lookup (a base image, --no-cache or --no-cache-filter)");
                break;
        }
    }

    private static MissExplanation? Explanation(string? json)
    {
        if (json is null) return null;
        try
        {
            return JsonSerializer.Deserialize(json, ExplainJson.MissExplanation);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
