using Sbuild.Core;
using Sbuild.Exporter;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// Builds one Dockerfile and context with sbuild and with Docker BuildKit and lists every difference in the
/// root filesystem and the image config. The busybox base goes to the daemon as sbuild exports it.
/// </summary>
public sealed class BuildKitParity(SbuildCli sbuild, DockerDaemon docker)
{
    private readonly List<string> _archives = [];

    public async Task<IReadOnlyList<string>> CompareAsync(string dockerfile, IReadOnlyDictionary<string, string>? files = null,
        IReadOnlyDictionary<string, string>? buildArgs = null, string? target = null,
        IReadOnlyDictionary<string, string>? extraContextFiles = null)
    {
        using var context = new TempDirectory("sbuild-parity-");
        File.WriteAllText(context.Combine("Dockerfile"), dockerfile);
        foreach (var (path, content) in files ?? new Dictionary<string, string>())
        {
            Directory.CreateDirectory(Path.GetDirectoryName(context.Combine(path))!);
            File.WriteAllText(context.Combine(path), content);
        }
        foreach (var (path, hostFile) in extraContextFiles ?? new Dictionary<string, string>())
            File.Copy(hostFile, context.Combine(path));
        using var output = new TempDirectory("sbuild-parity-out-");
        var archive = output.Combine("image.tar");
        string[] args = [.. (buildArgs ?? new Dictionary<string, string>()).SelectMany(a => new[] { "--build-arg", $"{a.Key}={a.Value}" }),
            .. target is null ? Array.Empty<string>() : ["--target", target]];
        var built = await sbuild.RunAsync([.. args, "-t", "parity:1", "-o", $"type=oci,dest={archive}", context.Path]);
        var config = sbuild.Store.ReadConfig(Digest.Parse(built.StandardOutput.Trim()));

        var layout = output.Combine("layout");
        Directory.CreateDirectory(layout);
        await ProcessRunner.RunAsync(Tools.Tar, ["-xf", archive, "-C", layout], CancellationToken.None);
        var bundle = output.Combine("bundle");
        await ProcessRunner.RunAsync(Tools.Umoci, ["unpack", "--image", $"{layout}:1", bundle], CancellationToken.None);

        using var expected = await new BuildKitOracle(docker.Client).BuildAsync(context.Path, context.Combine("Dockerfile"), target, buildArgs,
            await BaseArchivesAsync(), CancellationToken.None);
        return [.. RootfsComparer.Compare(expected.RootfsDir, Path.Combine(bundle, "rootfs")),
            .. ImageConfigComparer.Compare(expected.Config.Config, config.Config, new ImageConfigCompareOptions { IgnoreFields = ["ArgsEscaped"] })];
    }

    /// <summary>Exports images of sbuild's store as a docker-archive for the daemon (busybox plus any extra base images).</summary>
    public async Task<string> ExportAsync(params string[] names)
    {
        var archive = Path.Combine(sbuild.StoreRoot, "..", $"export-{Guid.NewGuid():N}.tar");
        foreach (var name in names)
        {
            var reference = ImageReference.Parse(name);
            var image = sbuild.Store.Find(reference) ?? throw new InvalidOperationException($"{name} is not in the test store");
            var single = archive + "." + reference.Repository.Replace('/', '_') + ".tar";
            await ImageExporters.Create(new ExportOptions { Type = ExportType.Docker, Destination = single })
                .ExportAsync(new ExportImage(image.Manifest, [reference], sbuild.Store.Content), CancellationToken.None);
            _archives.Add(single);
        }
        return archive;
    }

    private async Task<IReadOnlyList<string>> BaseArchivesAsync()
    {
        if (_archives.Count == 0) await ExportAsync("busybox:latest");
        return _archives;
    }
}
