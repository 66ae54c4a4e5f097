using System.Text;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// Reproducibility pinned in the repository: the manifest and config digests of examples/hello and of a FROM scratch
/// image (with a multi-block layer, so parallel gzip and multi-threaded zstd are covered; once gzip, once zstd) built with SOURCE_DATE_EPOCH=0 must equal those in
/// golden-digests.txt, built on one core and on all of them. Any change to layers, configs or compression fails here;
/// when a change is intended, rerun with SBUILD_UPDATE_GOLDEN=1 to rewrite the file, and commit it with the change.
/// examples/hello sits on the busybox the test store imports from the host's busybox-static, so a different Debian
/// busybox is a different base (its digest is pinned too, so such a failure says so).
/// </summary>
public sealed class GoldenDigestTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    private const string UpdateVariable = "SBUILD_UPDATE_GOLDEN";
    private static string GoldenFile => RepoPaths.InRepo("tests", "Sbuild.Cli.Tests", "golden-digests.txt");

    [Fact]
    public async Task Images_built_with_source_date_epoch_have_the_pinned_digests_on_any_core_count()
    {
        using var scratch = ScratchContext();
        var actual = new StringBuilder();
        actual.Append("busybox-base config ").Append(ConfigOf(sbuild.Store.Find(ImageReference.Parse("busybox"))!.Manifest.Digest)).Append('\n');
        foreach (var (name, context, compression) in new[]
        {
            ("hello", RepoPaths.InRepo("examples", "hello"), "gzip"), ("scratch", scratch.Path, "gzip"), ("scratch-zstd", scratch.Path, "zstd"),
        })
        {
            var oneCore = await BuildAsync(name, context, compression, processors: 1);
            var allCores = await BuildAsync(name, context, compression, processors: null);
            Assert.Equal(oneCore, allCores);
            actual.Append($"{name} manifest {oneCore}\n{name} config {ConfigOf(oneCore)}\n");
        }

        var header = $"# Digests of images built with SOURCE_DATE_EPOCH=0 (GoldenDigestTests). Rewrite with {UpdateVariable}=1.\n";
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(GoldenFile, header + actual);
            return;
        }
        var expected = File.ReadAllText(GoldenFile);
        Assert.True(expected == header + actual,
            $"the digests differ from {GoldenFile} (if the change is intended, rerun with {UpdateVariable}=1 and commit the file):\n" +
            $"expected:\n{expected}\nactual:\n{header}{actual}");
    }

    /// <summary>Builds without the cache (every RUN runs again) and returns the manifest digest of the image.</summary>
    private async Task<Digest> BuildAsync(string name, string context, string compression, int? processors)
    {
        await sbuild.RunAsync(["--no-cache", "-o", $"type=image,name=golden-{name}:1,compression={compression}", context], epoch: 0,
            environment: new() { ["DOTNET_PROCESSOR_COUNT"] = processors?.ToString() });
        return sbuild.Store.Find(ImageReference.Parse($"golden-{name}:1"))!.Manifest.Digest;
    }

    private Digest ConfigOf(Digest manifest) => sbuild.Store.ReadManifest(manifest).Config.Digest;

    /// <summary>A FROM scratch context whose every input is fixed here: contents, modes, and a 3 MiB file (several gzip blocks).</summary>
    private static TempDirectory ScratchContext()
    {
        var context = new TempDirectory("sbuild-golden-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM scratch\nCOPY . /app/\nENV A=1\nCMD [\"/app/run\"]\n");
        File.WriteAllText(context.Combine("small.txt"), "golden\n");
        var random = new Random(42);
        var big = new byte[3 << 20];
        for (var i = 0; i < big.Length; i += 64) random.NextBytes(big.AsSpan(i, 16)); // part random, part zeros: compressible
        File.WriteAllBytes(context.Combine("big.bin"), big);
        foreach (var file in Directory.EnumerateFiles(context.Path)) File.SetUnixFileMode(file, (UnixFileMode)0b110_100_100);
        File.SetUnixFileMode(context.Path, (UnixFileMode)0b111_101_101);
        return context;
    }
}
