using System.Security.Cryptography;
using System.Text.Json;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// The walking skeleton end to end: a 3-stage Dockerfile built by the CLI, exported as an OCI archive, checked with
/// skopeo and umoci, and compared with what the reference BuildKit builds from the same Dockerfile and context.
/// </summary>
[Collection(OracleCollection.Name)]
public sealed class ThreeStageBuildTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    internal const string Dockerfile = """
        FROM busybox AS base
        RUN mkdir -p /data && echo base > /data/base.txt && chmod 640 /data/base.txt

        FROM base AS build
        WORKDIR /work
        COPY app.sh ./
        COPY assets/ ./assets/
        RUN ./app.sh > out.txt && ln -s out.txt link.txt && echo gone > tmp.txt && rm tmp.txt

        FROM base
        RUN rm /bin/wget /etc/group && mkdir -p /opt/empty && chown 1000:1000 /opt/empty
        COPY --from=build /work/out.txt /work/link.txt /app/
        COPY --from=build /work/app.sh /app/bin/run
        COPY --from=build /work/assets /app/assets
        ENV MODE=prod
        WORKDIR /app
        USER 1000:1000
        LABEL org.example.stage=final
        ENTRYPOINT ["/app/bin/run"]
        CMD ["--help"]
        """;

    internal static TempDirectory CreateContext()
    {
        var context = new TempDirectory("sbuild-ctx-");
        File.WriteAllText(context.Combine("Dockerfile"), Dockerfile);
        File.WriteAllText(context.Combine("app.sh"), "#!/bin/sh\necho \"hello from app\"\n");
        File.SetUnixFileMode(context.Combine("app.sh"), (UnixFileMode)Convert.ToInt32("755", 8));
        Directory.CreateDirectory(context.Combine("assets", "nested"));
        File.WriteAllText(context.Combine("assets", "a.txt"), "asset a\n");
        File.WriteAllText(context.Combine("assets", "nested", "b.txt"), "asset b\n");
        File.SetUnixFileMode(context.Combine("assets", "nested", "b.txt"), (UnixFileMode)Convert.ToInt32("600", 8));
        return context;
    }

    [Fact]
    public async Task Builds_exports_and_matches_buildkit()
    {
        using var context = CreateContext();
        using var output = new TempDirectory("sbuild-out-");
        var archive = output.Combine("app.tar");
        var iid = output.Combine("iid");
        var build = await sbuild.RunAsync(["-t", "app:1", "-o", $"type=oci,dest={archive}", "--iidfile", iid, context.Path]);
        var imageId = Digest.Parse(File.ReadAllText(iid));
        Assert.Equal(imageId.ToString(), build.StandardOutput.Trim());

        // skopeo reads the archive as an image.
        var inspect = await ProcessRunner.RunAsync(Tools.Skopeo, ["inspect", "--config", $"oci-archive:{archive}:1"], CancellationToken.None);
        Assert.Contains("\"MODE=prod\"", inspect.StandardOutput);

        // Every blob in the archive is named by the sha256 of its bytes.
        var layout = output.Combine("layout");
        Directory.CreateDirectory(layout);
        await ProcessRunner.RunAsync(Tools.Tar, ["-xf", archive, "-C", layout], CancellationToken.None);
        var blobs = Directory.GetFiles(Path.Combine(layout, "blobs", "sha256"));
        Assert.NotEmpty(blobs);
        foreach (var blob in blobs)
        {
            await using var stream = File.OpenRead(blob);
            Assert.Equal(Path.GetFileName(blob), Convert.ToHexStringLower(await SHA256.HashDataAsync(stream)));
        }
        using (var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(layout, "index.json"))))
            Assert.Equal("1", index.RootElement.GetProperty("manifests")[0].GetProperty("annotations").GetProperty("org.opencontainers.image.ref.name").GetString());
        var config = sbuild.Store.ReadConfig(imageId);

        // umoci unpacks it into the root filesystem the Dockerfile describes.
        var bundle = output.Combine("bundle");
        await ProcessRunner.RunAsync(Tools.Umoci, ["unpack", "--image", $"{layout}:1", bundle], CancellationToken.None);
        var rootfs = Path.Combine(bundle, "rootfs");
        Assert.Equal("hello from app\n", File.ReadAllText(Path.Combine(rootfs, "app", "out.txt")));
        // A symlink named as a COPY source is followed: its target's content arrives under the link's name.
        Assert.Equal(FileKind.Regular, UnixFs.LStat(Path.Combine(rootfs, "app", "link.txt")).Kind);
        Assert.Equal("hello from app\n", File.ReadAllText(Path.Combine(rootfs, "app", "link.txt")));
        Assert.Equal("asset b\n", File.ReadAllText(Path.Combine(rootfs, "app", "assets", "nested", "b.txt")));
        Assert.Equal(Convert.ToInt32("600", 8), UnixFs.LStat(Path.Combine(rootfs, "app", "assets", "nested", "b.txt")).Permissions);
        Assert.Equal(Convert.ToInt32("640", 8), UnixFs.LStat(Path.Combine(rootfs, "data", "base.txt")).Permissions);
        Assert.Equal(1000u, UnixFs.LStat(Path.Combine(rootfs, "opt", "empty")).Uid);
        Assert.False(File.Exists(Path.Combine(rootfs, "bin", "wget")), "deleted base file /bin/wget is still there");
        Assert.False(File.Exists(Path.Combine(rootfs, "etc", "group")), "deleted base file /etc/group is still there");
        Assert.True(File.Exists(Path.Combine(rootfs, "bin", "sh")));

        Assert.Equal(["/app/bin/run"], config.Config.Entrypoint);
        Assert.Equal(["--help"], config.Config.Cmd);
        Assert.Equal("/app", config.Config.WorkingDir);
        Assert.Equal("1000:1000", config.Config.User);
        Assert.Equal(config.RootFs.DiffIds.Count, config.History.Count(h => h.EmptyLayer != true));

        // BuildKit, given the same Dockerfile, context and base image, builds the same thing.
        using var parity = await new BuildKitParity(sbuild).BuildContextAsync(context.Path);
        BuildKitParity.AssertSame(parity.Differences);
    }
}
