using System.Text.Json;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Core.Tests;

/// <summary>The oracle's image config, target selection, build args and base images from an OCI layout.</summary>
[Collection(OracleCollection.Name)]
public sealed class OracleConfigTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, string content)
    {
        var path = _dir.Combine(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private async Task<OciImage> BuildAsync(string dockerfile, string? target = null, Dictionary<string, string>? buildArgs = null,
        IReadOnlyList<OracleBaseImage>? baseImages = null)
    {
        Directory.CreateDirectory(_dir.Combine("ctx"));
        var oracle = await BuildKitOracle.StartAsync(CancellationToken.None);
        return await oracle.BuildAsync(new OracleBuildRequest
        {
            ContextDir = _dir.Combine("ctx"),
            DockerfilePath = dockerfile,
            Target = target,
            BuildArgs = buildArgs ?? [],
            BaseImages = baseImages ?? [],
        }, CancellationToken.None);
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
        using var result = await BuildAsync(dockerfile);

        // What BuildKit 0.32 writes (times and layer digests aside, which the comparison leaves out): a scratch image
        // starts with the default PATH, which a later ENV PATH replaces in place; durations are nanoseconds and unset
        // ones are omitted; ArgsEscaped is set for Linux images too; ONBUILD gets no history entry; history texts are
        // Go's formatting of the parsed values (EXPOSE [53/udp 8080/tcp], HEALTHCHECK {Test:[…] …}).
        var expected = $$$"""
            {"architecture":"{{{Platform.Host.Architecture}}}","os":"linux","created":"2000-01-01T00:00:00Z",
             "config":{"User":"1000:1000","ExposedPorts":{"53/udp":{},"8080/tcp":{}},"Env":["PATH=/custom/bin","GREETING=hello world","EMPTY="],
               "Entrypoint":["/bin/app"],"Cmd":["--serve"],"Volumes":{"/data":{}},"WorkingDir":"/srv/app",
               "Labels":{"org.example.name":"demo","version":"1.0"},"StopSignal":"SIGTERM","ArgsEscaped":true,
               "Healthcheck":{"Test":["CMD","/bin/check"],"Interval":30000000000,"Timeout":5000000000,"Retries":3},
               "OnBuild":["RUN echo child"],"Shell":["/bin/bash","-c"]},
             "history":[
               {"created_by":"ENV GREETING=hello world EMPTY=","comment":"buildkit.dockerfile.v0","empty_layer":true},
               {"created_by":"ENV PATH=/custom/bin","comment":"buildkit.dockerfile.v0","empty_layer":true},
               {"created_by":"WORKDIR /srv/app","comment":"buildkit.dockerfile.v0"},
               {"created_by":"LABEL org.example.name=demo version=1.0","comment":"buildkit.dockerfile.v0","empty_layer":true},
               {"created_by":"USER 1000:1000","comment":"buildkit.dockerfile.v0","empty_layer":true},
               {"created_by":"EXPOSE [53/udp 8080/tcp]","comment":"buildkit.dockerfile.v0","empty_layer":true},
               {"created_by":"VOLUME [/data]","comment":"buildkit.dockerfile.v0","empty_layer":true},
               {"created_by":"STOPSIGNAL SIGTERM","comment":"buildkit.dockerfile.v0","empty_layer":true},
               {"created_by":"SHELL [/bin/bash -c]","comment":"buildkit.dockerfile.v0","empty_layer":true},
               {"created_by":"HEALTHCHECK {Test:[CMD /bin/check] Interval:30s Timeout:5s StartPeriod:0s StartInterval:0s Retries:3}","comment":"buildkit.dockerfile.v0","empty_layer":true},
               {"created_by":"ENTRYPOINT [\"/bin/app\"]","comment":"buildkit.dockerfile.v0","empty_layer":true},
               {"created_by":"CMD [\"--serve\"]","comment":"buildkit.dockerfile.v0","empty_layer":true}],
             "rootfs":{"type":"layers","diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}
            """;
        Assert.Empty(ImageComparer.CompareConfigs(expected, result.ConfigJson, "expected", "buildkit"));

        // WORKDIR is the only instruction that changes the file system: it creates the directory, as root.
        var tree = RootfsScanner.Scan(result.RootfsDir);
        Assert.Equal(["/srv", "/srv/app"], tree.Keys.Order(StringComparer.Ordinal));
        Assert.All(tree.Values, e => Assert.Equal((FileKind.Directory, 0u), (e.Kind, e.Uid)));
        Assert.Single(result.Manifest.Layers);
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

        using var first = await BuildAsync(dockerfile, "first", new Dictionary<string, string> { ["FLAVOR"] = "spicy" });
        Assert.Equal(["/one.txt"], RootfsScanner.Scan(first.RootfsDir).Keys);
        Assert.Equal("spicy", first.Config.Config.Labels!["flavor"]);

        using var last = await BuildAsync(dockerfile);
        Assert.Equal(["/two.txt"], RootfsScanner.Scan(last.RootfsDir).Keys);
        Assert.Null(last.Config.Config.Labels);
    }

    [Fact]
    public async Task A_base_image_from_an_OCI_layout_is_used_without_a_registry()
    {
        var busybox = Tools.StaticBusybox;
        var layout = _dir.Combine("layout");
        var manifest = await OciLayouts.WriteBusyboxAsync(_dir, busybox, layout);
        var dockerfile = Write("Dockerfile", """
            FROM sbuild-selftest/busybox:1
            RUN mkdir /out && echo built > /out/x && chmod 0600 /out/x
            """);

        using var result = await BuildAsync(dockerfile, baseImages: [new OracleBaseImage("sbuild-selftest/busybox:1", layout, manifest)]);

        var tree = RootfsScanner.Scan(result.RootfsDir);
        Assert.Equal(Digest.Of(File.ReadAllBytes(busybox)).Encoded, tree["/bin/busybox"].Sha256);
        Assert.Equal("busybox", tree["/bin/sh"].LinkTarget);
        Assert.Equal(Digest.Of("built\n"u8).Encoded, tree["/out/x"].Sha256);
        Assert.Equal(Convert.ToInt32("600", 8), tree["/out/x"].Permissions);
        Assert.Equal(["sh"], result.Config.Config.Cmd!); // inherited from the base image
        // The RUN container needed mount points the base image lacks: runc creates /proc, /sys and /dev, which stay
        // in the layer (empty, root 0755); BuildKit's bind mounts of /etc/hosts and /etc/resolv.conf needed /etc,
        // which BuildKit removes again with the two file stubs. sbuild has to match that to compare equal.
        Assert.Equal(["/bin", "/dev", "/out", "/proc", "/sys"], tree.Keys.Where(k => k.Count(c => c == '/') == 1).Order(StringComparer.Ordinal));
        foreach (var stub in new[] { "/dev", "/proc", "/sys" })
        {
            Assert.Equal((FileKind.Directory, Convert.ToInt32("755", 8), 0u, 0u), (tree[stub].Kind, tree[stub].Permissions, tree[stub].Uid, tree[stub].Gid));
            Assert.DoesNotContain(tree.Keys, k => k.StartsWith(stub + "/", StringComparison.Ordinal));
        }
        Assert.Equal(2, result.Config.RootFs.DiffIds.Count); // base layer + RUN
        // Files of the base keep their times: the layer was written with mtime 0.
        Assert.Equal(new UnixTime(0, 0), tree["/bin/busybox"].Modified);
    }

    [Fact]
    public async Task A_failing_build_throws_with_BuildKits_output()
    {
        var dockerfile = Write("Dockerfile", "FROM scratch\nCOPY missing.txt /\n");
        var e = await Assert.ThrowsAsync<ProcessFailedException>(() => BuildAsync(dockerfile));
        Assert.Contains("missing.txt", e.Message);
    }
}

/// <summary>Writes an OCI image layout holding a one-layer image of static busybox, as a base image for the oracle.</summary>
internal static class OciLayouts
{
    /// <summary>Returns the manifest digest.</summary>
    public static async Task<Digest> WriteBusyboxAsync(TempDirectory dir, string busyboxPath, string layout)
    {
        var layerRoot = new RootfsBuilder(dir.Combine("busybox-layer"));
        Directory.CreateDirectory(layerRoot.Root);
        layerRoot.File("/bin/busybox", File.ReadAllBytes(busyboxPath), Modes.Octal("0755")).Symlink("/bin/sh", "busybox");
        var layerTar = dir.Combine("layer.tar");
        await ProcessRunner.RunAsync(Tools.Tar,
            ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-C", layerRoot.Root, "-cf", layerTar, "bin"],
            CancellationToken.None);

        var blobs = Path.Combine(layout, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        Descriptor Put(byte[] bytes, string mediaType)
        {
            var digest = Digest.Of(bytes);
            File.WriteAllBytes(Path.Combine(blobs, digest.Encoded), bytes);
            return new Descriptor { MediaType = mediaType, Digest = digest, Size = bytes.Length };
        }
        var layerBytes = File.ReadAllBytes(layerTar);
        var layer = Put(layerBytes, MediaTypes.OciLayer);
        var config = Put(JsonSerializer.SerializeToUtf8Bytes(new ImageConfig
        {
            Architecture = Platform.Host.Architecture,
            Os = "linux",
            Config = new ContainerConfig { Cmd = ["sh"] },
            RootFs = new RootFs { DiffIds = [layer.Digest] },
        }, OciJsonContext.Canonical.ImageConfig), MediaTypes.OciConfig);
        var manifest = Put(JsonSerializer.SerializeToUtf8Bytes(new ImageManifest { Config = config, Layers = [layer] },
            OciJsonContext.Canonical.ImageManifest), MediaTypes.OciManifest);
        File.WriteAllText(Path.Combine(layout, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        File.WriteAllBytes(Path.Combine(layout, "index.json"),
            JsonSerializer.SerializeToUtf8Bytes(new ImageIndex { Manifests = [manifest] }, OciJsonContext.Canonical.ImageIndex));
        return manifest.Digest;
    }
}
