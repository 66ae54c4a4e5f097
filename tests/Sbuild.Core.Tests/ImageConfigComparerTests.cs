using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Core.Tests;

public class ImageConfigComparerTests
{
    private static ContainerConfig Full() => new()
    {
        User = "app",
        Env = ["PATH=/bin", "A=1"],
        Entrypoint = ["/entry"],
        Cmd = ["run"],
        WorkingDir = "/w",
        Labels = new() { ["a"] = "1", ["b"] = "2" },
        ExposedPorts = new() { ["80/tcp"] = new() },
        Volumes = new() { ["/v"] = new() },
        StopSignal = "SIGINT",
        Shell = ["/bin/sh", "-c"],
        OnBuild = ["RUN x"],
        Healthcheck = new HealthConfig { Test = ["CMD", "true"], Interval = 1, Retries = 2 },
        ArgsEscaped = true,
    };

    private static ImageConfig Image(ContainerConfig config, params HistoryEntry[] history) => new()
    {
        Architecture = "amd64",
        Os = "linux",
        Config = config,
        RootFs = new RootFs { DiffIds = [Digest.Of("layer"u8)] },
        History = history,
    };

    [Fact]
    public void Equal_configs_have_no_differences()
    {
        Assert.Empty(ImageConfigComparer.Compare(Full(), Full()));
        Assert.Empty(ImageConfigComparer.Compare(Image(Full()), Image(Full())));
        Assert.Empty(ImageConfigComparer.Compare((ContainerConfig?)null, new ContainerConfig()));
    }

    [Fact]
    public void Every_field_difference_is_listed()
    {
        var actual = Full() with
        {
            User = "root",
            Env = ["A=1", "PATH=/bin"], // order matters: later entries win
            Entrypoint = null,
            Cmd = [],
            WorkingDir = "/",
            Labels = new() { ["a"] = "one", ["c"] = "3" },
            ExposedPorts = new() { ["80/udp"] = new() },
            Volumes = null,
            StopSignal = null,
            Shell = ["/bin/bash", "-c"],
            OnBuild = [],
            Healthcheck = new HealthConfig { Test = ["CMD", "true"], Interval = 2, Retries = 2 },
            ArgsEscaped = null,
        };
        Assert.Equal(
        [
            "User: \"app\" (buildkit) vs \"root\" (sbuild)",
            "Env: [\"PATH=/bin\", \"A=1\"] (buildkit) vs [\"A=1\", \"PATH=/bin\"] (sbuild)",
            "Entrypoint: [\"/entry\"] (buildkit) vs null (sbuild)",
            "Cmd: [\"run\"] (buildkit) vs [] (sbuild)",
            "WorkingDir: \"/w\" (buildkit) vs \"/\" (sbuild)",
            "Labels[a]: \"1\" (buildkit) vs \"one\" (sbuild)",
            "Labels[b]: \"2\" (buildkit) vs (absent) (sbuild)",
            "Labels[c]: (absent) (buildkit) vs \"3\" (sbuild)",
            "ExposedPorts[80/tcp]: \"{}\" (buildkit) vs (absent) (sbuild)",
            "ExposedPorts[80/udp]: (absent) (buildkit) vs \"{}\" (sbuild)",
            "Volumes: {\"/v\": \"{}\"} (buildkit) vs null (sbuild)",
            "StopSignal: \"SIGINT\" (buildkit) vs null (sbuild)",
            "Shell: [\"/bin/sh\", \"-c\"] (buildkit) vs [\"/bin/bash\", \"-c\"] (sbuild)",
            "OnBuild: [\"RUN x\"] (buildkit) vs [] (sbuild)",
            "ArgsEscaped: true (buildkit) vs null (sbuild)",
            "Healthcheck.Interval: 1 (buildkit) vs 2 (sbuild)",
        ], ImageConfigComparer.Compare(Full(), actual));
    }

    [Fact]
    public void Ignored_fields_are_skipped_and_names_are_configurable()
    {
        var actual = Full() with { ArgsEscaped = false, Healthcheck = null, User = "x" };
        var options = new ImageConfigCompareOptions { IgnoreFields = ["ArgsEscaped", "Healthcheck"], ExpectedName = "want", ActualName = "got" };
        Assert.Equal(["User: \"app\" (want) vs \"x\" (got)"], ImageConfigComparer.Compare(Full(), actual, options));
    }

    [Fact]
    public void Image_level_fields_and_history_are_compared_but_not_timestamps()
    {
        var expected = Image(Full(),
            new HistoryEntry { CreatedBy = "COPY . /", Comment = "buildkit.dockerfile.v0", Created = DateTimeOffset.UnixEpoch },
            new HistoryEntry { CreatedBy = "CMD [\"run\"]", EmptyLayer = true });
        var actual = Image(Full(),
            new HistoryEntry { CreatedBy = "COPY . /", Comment = "buildkit.dockerfile.v0", Created = DateTimeOffset.UtcNow },
            new HistoryEntry { CreatedBy = "CMD run" }) with
        {
            Architecture = "arm64",
            RootFs = new RootFs { DiffIds = [Digest.Of("a"u8), Digest.Of("b"u8)] },
        };
        Assert.Equal(
        [
            "architecture: \"amd64\" (buildkit) vs \"arm64\" (sbuild)",
            "rootfs.diff_ids count: 1 (buildkit) vs 2 (sbuild)",
            "history[1].created_by: \"CMD [\\\"run\\\"]\" (buildkit) vs \"CMD run\" (sbuild)",
            "history[1].empty_layer: true (buildkit) vs false (sbuild)",
        ], ImageConfigComparer.Compare(expected, actual));
        Assert.Equal(["architecture: \"amd64\" (buildkit) vs \"arm64\" (sbuild)", "rootfs.diff_ids count: 1 (buildkit) vs 2 (sbuild)"],
            ImageConfigComparer.Compare(expected, actual, new ImageConfigCompareOptions { IgnoreFields = ["history"] }));
    }
}
