using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// Archives crossing between sbuild and a real docker daemon (20.10): <c>--load</c> and <c>sbuild save</c> go into
/// <c>docker load</c> and run; what <c>docker save</c> writes (its legacy layout) comes back with <c>sbuild load</c>.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class DockerArchiveInteropTests(SbuildCli sbuild, DockerDaemon docker) : IClassFixture<SbuildCli>, IClassFixture<DockerDaemon>
{
    [Fact]
    public async Task Load_pipes_the_image_into_docker_which_runs_it_and_docker_save_loads_back_with_the_same_id()
    {
        using var context = new TempDirectory("sbuild-load-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN echo loaded-by-sbuild > /message\nCMD [\"cat\", \"/message\"]\n");
        const string name = "sbuild-load-test:1";
        var build = await sbuild.RunAsync(["--load", "-t", name, "--progress", "plain", context.Path], epoch: 0,
            environment: new() { ["DOCKER_HOST"] = docker.Client.Host });
        var imageId = build.StandardOutput.Trim();
        Assert.Contains($"Loaded image: {name}", build.StandardError);
        try
        {
            var run = await docker.Client.RunAsync(["run", "--rm", "--network=none", name], CancellationToken.None);
            Assert.Equal("loaded-by-sbuild", run.StandardOutput.Trim());
            var inspect = await docker.Client.RunAsync(["image", "inspect", "-f", "{{.Id}}", name], CancellationToken.None);
            Assert.Equal(imageId, inspect.StandardOutput.Trim());

            using var work = new TempDirectory("sbuild-docker-save-");
            var saved = work.Combine("docker-saved.tar");
            await docker.Client.RunAsync(["save", "-o", saved, name], CancellationToken.None);
            var load = await sbuild.RunAsync(["load", "-i", saved], storeRoot: work.Combine("store"));
            Assert.Equal($"Loaded image: {name}", load.StandardOutput.Trim());
            var store = new ImageStore(work.Combine("store"));
            Assert.Equal(imageId, store.ReadManifest(store.Find(ImageReference.Parse(name))!.Manifest.Digest).Config.Digest.ToString());
        }
        finally
        {
            await docker.Client.RunAsync(["rmi", "-f", name], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Save_output_is_loaded_and_run_by_docker()
    {
        using var context = new TempDirectory("sbuild-save-docker-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN echo saved-by-sbuild > /message\nCMD [\"cat\", \"/message\"]\n");
        const string name = "sbuild-save-test:1";
        await sbuild.RunAsync(["-t", name, context.Path], epoch: 0);
        var archive = context.Combine("saved.tar");
        await sbuild.RunAsync(["save", "-o", archive, name]);
        try
        {
            var load = await docker.Client.RunAsync(["load", "-i", archive], CancellationToken.None);
            Assert.Contains($"Loaded image: {name}", load.StandardOutput);
            var run = await docker.Client.RunAsync(["run", "--rm", "--network=none", name], CancellationToken.None);
            Assert.Equal("saved-by-sbuild", run.StandardOutput.Trim());
        }
        finally
        {
            await docker.Client.RunAsync(["rmi", "-f", name], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Load_without_docker_fails_before_building_and_says_what_to_do()
    {
        using var context = new TempDirectory("sbuild-nodocker-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nRUN echo never\n");
        var result = await sbuild.RunAsync(["--load", "--progress", "plain", context.Path], allowFailure: true,
            environment: new() { ["PATH"] = "/nonexistent" });
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--load pipes the image into `docker load`, but there is no docker program in $PATH", result.StandardError);
        Assert.DoesNotContain("RUN echo never", result.StandardError);
    }
}
