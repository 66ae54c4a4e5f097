using Sbuild.Core;
using Sbuild.Engine;
using Sbuild.Runner;

namespace Sbuild.Cli;

/// <summary>The OCI runtime of a build: chosen on first use (from PATH, probe verdict cached in the store) and announced once.</summary>
public static class Runtimes
{
    public static Func<CancellationToken, Task<IContainerRunner>> ChosenOnFirstUse(string storeRoot, IBuildLog log)
    {
        var work = StoreLeases.Directory(storeRoot, "tmp");
        Task<IContainerRunner>? chosen = null;
        var gate = new Lock();
        return ct =>
        {
            lock (gate) return chosen ??= SelectAsync(storeRoot, work, log, ct);
        };
    }

    private static async Task<IContainerRunner> SelectAsync(string storeRoot, string work, IBuildLog log, CancellationToken ct)
    {
        var selector = new RuntimeSelector(new RuntimeSelectionOptions
        {
            SearchDirectories = RuntimeSelector.SplitPath(System.Environment.GetEnvironmentVariable("PATH")),
            CacheFile = Path.Combine(storeRoot, "runtime.json"),
            WorkDirectory = work,
        });
        var choice = await selector.SelectAsync(ct).ConfigureAwait(false);
        log.Note(choice.Reason);
        return new ContainerRunner(choice.Runtime, new ContainerRunnerOptions { WorkDirectory = work, BundlePrefix = StoreLeases.Tag(storeRoot) });
    }
}
