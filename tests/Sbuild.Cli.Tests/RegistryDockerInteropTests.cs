using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>An image sbuild pushes is one Docker pulls and runs: the docker daemon fetches it from the registry itself.</summary>
[Collection(DockerCollection.Name)]
public sealed class RegistryDockerInteropTests(SbuildCli sbuild, DockerDaemon docker) : IClassFixture<SbuildCli>, IClassFixture<DockerDaemon>
{
    [Fact]
    public async Task Docker_pulls_and_runs_what_sbuild_pushed()
    {
        await using var registry = await RegistryServer.StartOpenAsync(CancellationToken.None);
        using var context = new TempDirectory("sbuild-interop-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN echo pushed-by-sbuild > /message\nCMD [\"cat\", \"/message\"]\n");
        var name = $"{registry.Address}/interop/app:1";
        await sbuild.RunAsync(["-t", name, "--push", context.Path], epoch: 0);
        var pushed = sbuild.Store.Find(ImageReference.Parse(name))!.Manifest.Digest;

        // dockerd treats 127.0.0.0/8 registries as insecure (plain http) by default.
        var pull = await docker.Client.RunAsync(["pull", name], CancellationToken.None);
        Assert.Contains(pushed.ToString(), pull.StandardOutput);
        try
        {
            var run = await docker.Client.RunAsync(["run", "--rm", "--network=host", name], CancellationToken.None);
            Assert.Equal("pushed-by-sbuild", run.StandardOutput.Trim());
        }
        finally
        {
            await docker.Client.RunAsync(["rmi", "-f", name], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        }
    }
}
