using System.Runtime.Versioning;
using System.Text.Json;
using Sbuild.Core;

namespace Sbuild.Runner.Tests;

/// <summary>Selection over a private search directory holding the real runc and/or a fake failing crun.</summary>
[SupportedOSPlatform("linux")]
public sealed class RuntimeSelectorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sbuild-select-").FullName;

    public RuntimeSelectorTests()
    {
        Directory.CreateDirectory(Bin);
    }

    private string Bin => Path.Join(_root, "bin");
    private string CacheFile => Path.Join(_root, "store", "runtime.json");
    private string WorkDirectory => Path.Join(_root, "work");
    private string FakeCrunCalls => Path.Join(_root, "crun-calls");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private RuntimeSelector Selector(params string[] searchDirectories) => new(new RuntimeSelectionOptions
    {
        SearchDirectories = searchDirectories.Length == 0 ? [Bin] : searchDirectories,
        CacheFile = CacheFile,
        WorkDirectory = WorkDirectory,
    });

    private void LinkRealRunc() => File.CreateSymbolicLink(Path.Join(Bin, "runc"), TestEnvironment.Runc().Path);

    /// <summary>A crun that fails the way crun 1.8 does on hybrid cgroups: an error in its JSON log, exit 1.</summary>
    private string AddFailingCrun()
    {
        var path = Path.Join(Bin, "crun");
        File.WriteAllText(path, $$"""
            #!/bin/sh
            echo called >> {{FakeCrunCalls}}
            while [ $# -gt 0 ]; do
              if [ "$1" = --log ]; then log="$2"; fi
              shift
            done
            echo '{"msg":"cgroups in hybrid mode not supported","level":"error"}' > "$log"
            exit 1
            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private int CrunCalls => File.Exists(FakeCrunCalls) ? File.ReadAllLines(FakeCrunCalls).Length : 0;

    [Fact]
    public async Task No_runtime_on_the_search_path_is_a_clear_error()
    {
        var error = await Assert.ThrowsAsync<SbuildException>(() => Selector(Path.Join(_root, "empty")).SelectAsync(CancellationToken.None));

        Assert.Equal(ErrorCode.RuntimeNotFound, error.Code);
        Assert.Equal("no OCI runtime found on PATH: install crun or runc (apt-get install runc)", error.Message);
    }

    [Fact]
    public async Task A_working_runc_is_chosen_and_the_missing_crun_is_mentioned()
    {
        LinkRealRunc();

        var choice = await Selector().SelectAsync(CancellationToken.None);

        Assert.Equal(new OciRuntime("runc", Path.Join(Bin, "runc")), choice.Runtime);
        Assert.Equal("using runc: crun not found on PATH", choice.Reason);
        Assert.Contains("\"works\": true", File.ReadAllText(CacheFile));
        Assert.Empty(Directory.EnumerateFileSystemEntries(WorkDirectory));
    }

    [Fact]
    public async Task A_failing_crun_falls_back_to_runc_and_says_why()
    {
        AddFailingCrun();
        LinkRealRunc();

        var choice = await Selector().SelectAsync(CancellationToken.None);

        Assert.Equal("runc", choice.Runtime.Name);
        Assert.Equal("using runc: crun failed its probe: crun: cgroups in hybrid mode not supported", choice.Reason);
    }

    [Fact]
    public async Task Verdicts_are_reused_until_the_binary_changes()
    {
        var crun = AddFailingCrun();
        LinkRealRunc();
        await Selector().SelectAsync(CancellationToken.None);
        Assert.Equal(1, CrunCalls);

        var again = await Selector().SelectAsync(CancellationToken.None);
        Assert.Equal(1, CrunCalls);
        Assert.Equal("using runc: crun failed its probe: crun: cgroups in hybrid mode not supported", again.Reason);

        File.SetLastWriteTimeUtc(crun, DateTime.UtcNow.AddMinutes(1));
        await Selector().SelectAsync(CancellationToken.None);
        Assert.Equal(2, CrunCalls);
    }

    [Fact]
    public async Task A_corrupt_cache_is_ignored_and_rewritten()
    {
        LinkRealRunc();
        Directory.CreateDirectory(Path.GetDirectoryName(CacheFile)!);
        File.WriteAllText(CacheFile, "{ not json");

        var choice = await Selector().SelectAsync(CancellationToken.None);

        Assert.Equal("runc", choice.Runtime.Name);
        using var cache = JsonDocument.Parse(File.ReadAllText(CacheFile));
        Assert.Single(cache.RootElement.GetProperty("runtimes").EnumerateArray());
    }

    [Fact]
    public async Task When_every_runtime_fails_the_error_lists_each_failure()
    {
        AddFailingCrun();
        File.CreateSymbolicLink(Path.Join(Bin, "runc"), Path.Join(Bin, "crun"));

        var error = await Assert.ThrowsAsync<SbuildException>(() => Selector().SelectAsync(CancellationToken.None));

        Assert.Equal(ErrorCode.RuntimeFailed, error.Code);
        Assert.Equal(
            "no working OCI runtime: crun failed its probe: crun: cgroups in hybrid mode not supported; " +
            "runc failed its probe: runc: cgroups in hybrid mode not supported",
            error.Message);
    }

    [Fact]
    public void Path_splitting_skips_empty_entries()
    {
        Assert.Equal(["/usr/bin", "/sbin"], RuntimeSelector.SplitPath("/usr/bin::/sbin:"));
        Assert.Empty(RuntimeSelector.SplitPath(null));
    }
}
