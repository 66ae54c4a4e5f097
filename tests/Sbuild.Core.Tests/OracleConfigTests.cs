using System.Text.Json;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Core.Tests;

/// <summary>The oracle's image config, target selection, build args and base-image loading.</summary>
[Collection(DockerCollection.Name)]
public sealed class OracleConfigTests(DockerDaemon daemon) : IClassFixture<DockerDaemon>, IDisposable
{
    private readonly TempDirectory _dir = new();
    private BuildKitOracle Oracle => new(daemon.Client);

    public void Dispose() => _dir.Dispose();

    private string Write(string name, string content)
    {
        var path = _dir.Combine(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task Config_instructions_of_a_scratch_build_come_back_as_written()
    {
        var dockerfile = Write("Dockerfile", """
            FROM scratch
            ENV GREETING="hello world" EMPTY=
            ENV PATH=/custom/bin
            WORKDIR /srv/app
            LABEL org.example.name="demo" version=1.0
            USER 1000:1000
            EXPOSE 8080/tcp 53/udp
            VOLUME ["/data"]
            STOPSIGNAL SIGTERM
            SHELL ["/bin/bash", "-c"]
            HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["/bin/check"]
            ONBUILD RUN echo child
            ENTRYPOINT ["/bin/app"]
            CMD ["--serve"]
            """);
        Directory.CreateDirectory(_dir.Combine("ctx"));
        using var result = await Oracle.BuildAsync(_dir.Combine("ctx"), dockerfile, null, null, [], CancellationToken.None);

        var expected = new ContainerConfig
        {
            // A scratch image starts with the default PATH; a later ENV PATH replaces it in place.
            Env = ["PATH=/custom/bin", "GREETING=hello world", "EMPTY="],
            WorkingDir = "/srv/app",
            Labels = new() { ["org.example.name"] = "demo", ["version"] = "1.0" },
            User = "1000:1000",
            ExposedPorts = new() { ["8080/tcp"] = new(), ["53/udp"] = new() },
            Volumes = new() { ["/data"] = new() },
            StopSignal = "SIGTERM",
            Shell = ["/bin/bash", "-c"],
            // Durations are nanoseconds; unset ones (start period) are omitted.
            Healthcheck = new HealthConfig { Test = ["CMD", "/bin/check"], Interval = 30_000_000_000, Timeout = 5_000_000_000, Retries = 3 },
            OnBuild = ["RUN echo child"],
            Entrypoint = ["/bin/app"],
            Cmd = ["--serve"],
        };
        // ArgsEscaped only means something on Windows, and BuildKit versions disagree on setting it for Linux images.
        var options = new ImageConfigCompareOptions { IgnoreFields = ["ArgsEscaped"] };
        Assert.Empty(ImageConfigComparer.Compare(expected, result.Config.Config, options));

        // WORKDIR is the only instruction that changes the file system: it creates the directory, as root.
        var tree = RootfsScanner.Scan(result.RootfsDir);
        Assert.Equal(["/srv", "/srv/app"], tree.Keys.Order(StringComparer.Ordinal));
        Assert.All(tree.Values, e => Assert.Equal((FileKind.Directory, 0u), (e.Kind, e.Uid)));
    }

    [Fact]
    public async Task Target_and_build_args_select_what_is_built()
    {
        var dockerfile = Write("Dockerfile", """
            FROM scratch AS first
            ARG FLAVOR=plain
            LABEL flavor=$FLAVOR
            COPY one.txt /
            FROM scratch AS second
            COPY two.txt /
            """);
        Write("ctx/one.txt", "1");
        Write("ctx/two.txt", "2");

        using var first = await Oracle.BuildAsync(_dir.Combine("ctx"), dockerfile, "first",
            new Dictionary<string, string> { ["FLAVOR"] = "spicy" }, [], CancellationToken.None);
        Assert.Equal(["/one.txt"], RootfsScanner.Scan(first.RootfsDir).Keys);
        Assert.Equal("spicy", first.Config.Config.Labels!["flavor"]);

        using var last = await Oracle.BuildAsync(_dir.Combine("ctx"), dockerfile, null, null, [], CancellationToken.None);
        Assert.Equal(["/two.txt"], RootfsScanner.Scan(last.RootfsDir).Keys);
        Assert.Null(last.Config.Config.Labels);
    }

    [Fact]
    public async Task A_base_image_from_a_docker_archive_is_used_without_a_registry()
    {
        var busybox = Tools.StaticBusybox;
        var archive = await DockerArchive.WriteBusyboxAsync(_dir, busybox, "sbuild-selftest/busybox:1");
        var dockerfile = Write("Dockerfile", """
            FROM sbuild-selftest/busybox:1
            RUN mkdir /out && echo built > /out/x && chmod 0600 /out/x
            """);
        Directory.CreateDirectory(_dir.Combine("ctx"));

        using var result = await Oracle.BuildAsync(_dir.Combine("ctx"), dockerfile, null, null, [archive], CancellationToken.None);

        var tree = RootfsScanner.Scan(result.RootfsDir);
        Assert.Equal(Digest.Of(File.ReadAllBytes(busybox)).Encoded, tree["/bin/busybox"].Sha256);
        Assert.Equal("busybox", tree["/bin/sh"].LinkTarget);
        Assert.Equal(Digest.Of("built\n"u8).Encoded, tree["/out/x"].Sha256);
        Assert.Equal(Convert.ToInt32("600", 8), tree["/out/x"].Permissions);
        Assert.Equal(["sh"], result.Config.Config.Cmd!); // inherited from the base image
        // The RUN container needed mount points the base image lacks: runc creates /proc, /sys and /dev, and BuildKit
        // bind-mounts /etc/hosts and /etc/resolv.conf. The BuildKit of docker 20.10 keeps those directories (empty,
        // root 0755) in the result but drops the two file stubs; sbuild has to match that to compare equal.
        Assert.Equal(["/bin", "/dev", "/etc", "/out", "/proc", "/sys"], tree.Keys.Where(k => k.Count(c => c == '/') == 1).Order(StringComparer.Ordinal));
        foreach (var stub in new[] { "/dev", "/etc", "/proc", "/sys" })
        {
            Assert.Equal((FileKind.Directory, Convert.ToInt32("755", 8), 0u, 0u), (tree[stub].Kind, tree[stub].Permissions, tree[stub].Uid, tree[stub].Gid));
            Assert.DoesNotContain(tree.Keys, k => k.StartsWith(stub + "/", StringComparison.Ordinal));
        }
        Assert.Equal(2, result.Config.RootFs.DiffIds.Count); // base layer + RUN
    }

    [Fact]
    public async Task A_failing_build_throws_with_BuildKits_output()
    {
        var dockerfile = Write("Dockerfile", "FROM scratch\nCOPY missing.txt /\n");
        Directory.CreateDirectory(_dir.Combine("ctx"));
        var e = await Assert.ThrowsAsync<ProcessFailedException>(() =>
            Oracle.BuildAsync(_dir.Combine("ctx"), dockerfile, null, null, [], CancellationToken.None));
        Assert.Contains("missing.txt", e.Message);
    }
}

/// <summary>Writes a docker-archive (what <c>docker load</c> reads) of a one-layer image holding static busybox.</summary>
internal static class DockerArchive
{
    public static async Task<string> WriteBusyboxAsync(TempDirectory dir, string busyboxPath, string tag)
    {
        var layerRoot = new RootfsBuilder(dir.Combine("busybox-layer"));
        Directory.CreateDirectory(layerRoot.Root);
        layerRoot.File("/bin/busybox", File.ReadAllBytes(busyboxPath), Modes.Octal("0755")).Symlink("/bin/sh", "busybox");

        var archiveDir = dir.Combine("busybox-archive");
        Directory.CreateDirectory(archiveDir);
        var layerTar = Path.Combine(archiveDir, "layer.tar");
        // A reproducible layer (fixed order, times, owners) gives the same image ID on every run, so repeated test runs
        // retag one image instead of leaving a dangling copy in the daemon each time.
        await ProcessRunner.RunAsync(Tools.Tar,
            ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-C", layerRoot.Root, "-cf", layerTar, "bin"],
            CancellationToken.None);
        var config = new ImageConfig
        {
            Architecture = Platform.Host.Architecture,
            Os = "linux",
            Config = new ContainerConfig { Cmd = ["sh"] },
            RootFs = new RootFs { DiffIds = [Digest.Of(File.OpenRead(layerTar))] },
        };
        await File.WriteAllBytesAsync(Path.Combine(archiveDir, "config.json"),
            JsonSerializer.SerializeToUtf8Bytes(config, OciJsonContext.Canonical.ImageConfig));
        List<DockerArchiveEntry> manifest = [new() { Config = "config.json", RepoTags = [tag], Layers = ["layer.tar"] }];
        await File.WriteAllBytesAsync(Path.Combine(archiveDir, "manifest.json"),
            JsonSerializer.SerializeToUtf8Bytes(manifest, OciJsonContext.Canonical.ListDockerArchiveEntry));

        var archive = dir.Combine("busybox.tar");
        await ProcessRunner.RunAsync(Tools.Tar, ["-C", archiveDir, "-cf", archive, "manifest.json", "config.json", "layer.tar"], CancellationToken.None);
        return archive;
    }
}
