using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// <c>sbuild save</c> (docker-archive) of a stored two-platform image into a real docker 20.10 daemon, whose
/// <c>docker load</c> reads only manifest.json: it gets the host platform's image, under the name, and runs it.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class MultiPlatformDockerLoadTests(SbuildCli sbuild, DockerDaemon docker) : IClassFixture<SbuildCli>, IClassFixture<DockerDaemon>
{
    [Fact]
    public async Task Docker_loads_the_hosts_image_of_a_saved_multi_platform_image_and_runs_it()
    {
        using var work = new TempDirectory("sbuild-multi-docker-");
        var image = await TwoPlatformImage.CreateAsync(sbuild, work);
        var store = work.Combine("store");
        await sbuild.RunAsync(["load", "-i", image.Tar], storeRoot: store);
        var archive = work.Combine("multi-docker.tar");
        await sbuild.RunAsync(["save", "-o", archive, "multi:1"], storeRoot: store);
        try
        {
            var load = await docker.Client.RunAsync(["load", "-i", archive], CancellationToken.None);
            Assert.Contains("Loaded image: multi:1", load.StandardOutput);
            var inspect = await docker.Client.RunAsync(["image", "inspect", "-f", "{{.Id}} {{.Architecture}}", "multi:1"], CancellationToken.None);
            Assert.Equal($"{image.HostId} {TwoPlatformImage.HostArch}", inspect.StandardOutput.Trim());
            var run = await docker.Client.RunAsync(["run", "--rm", "--network=none", "multi:1", "cat", "/p"], CancellationToken.None);
            Assert.Equal("host", run.StandardOutput.Trim());
        }
        finally
        {
            await docker.Client.RunAsync(["rmi", "-f", "multi:1"], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        }
    }
}
