using Sbuild.Core;

namespace Sbuild.Runner;

public sealed record RuntimeSelectionOptions
{
    /// <summary>Directories to look for runtime binaries in, in order (the caller splits PATH; see <see cref="RuntimeSelector.SplitPath"/>).</summary>
    public required IReadOnlyList<string> SearchDirectories { get; init; }

    /// <summary>JSON file remembering probe verdicts, e.g. &lt;store&gt;/runtime.json.</summary>
    public required string CacheFile { get; init; }

    /// <summary>Scratch space for the probe's bundle and rootfs.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>Runtime names in order of preference.</summary>
    public IReadOnlyList<string> Candidates { get; init; } = ["crun", "runc"];
}

/// <summary>The runtime to use and a sentence saying why, for the CLI to show
/// (e.g. "using runc: crun failed its probe: cgroups in hybrid mode not supported ...").</summary>
public sealed record RuntimeChoice(OciRuntime Runtime, string Reason);

/// <summary>Picks the first candidate runtime on the search path that passes a real probe run.
/// Verdicts are cached per binary, so only the first process on a host pays for probing.</summary>
public sealed class RuntimeSelector(RuntimeSelectionOptions options)
{
    public const string NotFoundMessage = "no OCI runtime found on PATH: install crun or runc (apt-get install runc)";

    /// <summary>PATH syntax: ':'-separated; empty entries are skipped rather than meaning the current directory.</summary>
    public static IReadOnlyList<string> SplitPath(string? path) =>
        (path ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public async Task<RuntimeChoice> SelectAsync(CancellationToken ct)
    {
        var cache = new RuntimeProbeCache(options.CacheFile);
        var passedOver = new List<string>();
        var foundAny = false;
        foreach (var name in options.Candidates)
        {
            if (Find(name) is not { } path)
            {
                passedOver.Add($"{name} not found on PATH");
                continue;
            }
            foundAny = true;
            var runtime = new OciRuntime(name, path);
            var failure = await FailureAsync(runtime, cache, ct).ConfigureAwait(false);
            if (failure is null)
                return new RuntimeChoice(runtime, passedOver.Count == 0 ? $"using {name}" : $"using {name}: {string.Join("; ", passedOver)}");
            passedOver.Add($"{name} failed its probe: {failure}");
        }
        if (!foundAny)
            throw new SbuildException(ErrorCode.RuntimeNotFound, NotFoundMessage);
        throw new SbuildException(ErrorCode.RuntimeFailed, $"no working OCI runtime: {string.Join("; ", passedOver)}");
    }

    /// <summary>The first executable file named <paramref name="name"/> in the search directories.</summary>
    public string? Find(string name)
    {
        foreach (var directory in options.SearchDirectories)
        {
            var candidate = new FileInfo(Path.Join(directory, name));
            if (candidate.Exists && IsExecutable(candidate))
                return candidate.FullName;
        }
        return null;
    }

    private async Task<string?> FailureAsync(OciRuntime runtime, RuntimeProbeCache cache, CancellationToken ct)
    {
        if (cache.Find(runtime.Path) is { } known)
            return known.Works ? null : known.Failure ?? "failed before";
        var key = RuntimeVerdict.KeyOf(runtime.Path);
        var failure = await RuntimeProbe.FailureAsync(runtime, options.WorkDirectory, ct).ConfigureAwait(false);
        if (key is not null)
            cache.Store(key with { Works = failure is null, Failure = failure });
        return failure;
    }

    private static bool IsExecutable(FileInfo file) =>
        OperatingSystem.IsWindows() ||
        (file.UnixFileMode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
