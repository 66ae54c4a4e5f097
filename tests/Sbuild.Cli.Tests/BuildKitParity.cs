using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// Builds one Dockerfile and context with sbuild and with Docker BuildKit and lists every difference in the
/// root filesystem and the image config. The busybox base goes to the daemon as sbuild exports it.
/// </summary>
public sealed class BuildKitParity(SbuildCli sbuild, DockerDaemon docker)
{
    private string? _baseArchive;

    public async Task<IReadOnlyList<string>> CompareAsync(string dockerfile, IReadOnlyDictionary<string, string>? files = null,
        IReadOnlyDictionary<string, string>? buildArgs = null, string? target = null)
    {
        using var context = new TempDirectory("sbuild-parity-");
        File.WriteAllText(context.Combine("Dockerfile"), dockerfile);
        foreach (var (path, content) in files ?? new Dictionary<string, string>())
        {
            Directory.CreateDirectory(Path.GetDirectoryName(context.Combine(path))!);
            File.WriteAllText(context.Combine(path), content);
        }
        using var output = new TempDirectory("sbuild-parity-out-");
        var archive = output.Combine("image.tar");
        string[] args = [.. (buildArgs ?? new Dictionary<string, string>()).SelectMany(a => new[] { "--build-arg", $"{a.Key}={a.Value}" }),
            .. target is null ? Array.Empty<string>() : ["--target", target]];
        var built = await sbuild.RunAsync([.. args, "-t", "parity:1", "-o", $"type=oci,dest={archive}", context.Path]);
        var config = sbuild.Store.ReadConfig(Digest.Parse(built.StandardOutput.Trim()));

        var layout = output.Combine("layout");
        Directory.CreateDirectory(layout);
        await ProcessRunner.RunAsync("tar", ["-xf", archive, "-C", layout], CancellationToken.None);
        var bundle = output.Combine("bundle");
        await ProcessRunner.RunAsync("umoci", ["unpack", "--image", $"{layout}:1", bundle], CancellationToken.None);

        using var expected = await new BuildKitOracle(docker.Client).BuildAsync(context.Path, context.Combine("Dockerfile"), target, buildArgs,
            [await BaseArchiveAsync()], CancellationToken.None);
        return [.. RootfsComparer.Compare(expected.RootfsDir, Path.Combine(bundle, "rootfs")),
            .. ImageConfigComparer.Compare(expected.Config.Config, config.Config, new ImageConfigCompareOptions { IgnoreFields = ["ArgsEscaped"] })];
    }

    private async Task<string> BaseArchiveAsync()
    {
        if (_baseArchive is not null) return _baseArchive;
        var dir = Path.Combine(sbuild.StoreRoot, "..", "base-export");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "Dockerfile"), "FROM busybox\n");
        var archive = Path.Combine(dir, "busybox.tar");
        await sbuild.RunAsync(["-t", "busybox:latest", "-o", $"type=docker,dest={archive}", dir], epoch: 0);
        return _baseArchive = archive;
    }
}
