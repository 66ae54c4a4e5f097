using System.Text.Json.Nodes;
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

    [Fact]
    public async Task Import_changes_give_the_config_docker_import_gives()
    {
        string[] changes =
        [
            "CMD [\"/bin/sh\", \"-c\", \"echo hi\"]", "ENTRYPOINT /bin/entry", "ENV A=1 B=\"two words\"", "ENV C=$A-x",
            "EXPOSE 80 53/udp", "LABEL org.example=\"a b\"", "USER 1000:1000", "WORKDIR /srv", "WORKDIR app",
            "VOLUME /data", "ONBUILD RUN echo later", "HEALTHCHECK --interval=5s CMD true",
        ];
        const string name = "sbuild-import-test:1";
        var args = changes.SelectMany(c => new[] { "-c", c }).ToList();
        await sbuild.RunAsync(["image", "import", .. args, "--platform", "linux/arm64", sbuild.BusyboxTar, name]);
        try
        {
            await docker.Client.RunAsync(["import", .. args, "--platform", "linux/arm64", sbuild.BusyboxTar, name], CancellationToken.None);
            var inspect = JsonNode.Parse((await docker.Client.RunAsync(["image", "inspect", name], CancellationToken.None)).StandardOutput)![0]!;
            var expected = inspect["Config"]!;
            var config = sbuild.Store.ReadConfig(sbuild.Store.ReadManifest(sbuild.Store.Find(ImageReference.Parse(name))!.Manifest.Digest).Config.Digest);

            Assert.Equal(expected["Cmd"]!.AsArray().Select(n => n!.GetValue<string>()), config.Config.Cmd!);
            Assert.Equal(expected["Entrypoint"]!.AsArray().Select(n => n!.GetValue<string>()), config.Config.Entrypoint!);
            Assert.Equal(expected["Env"]!.AsArray().Select(n => n!.GetValue<string>()), config.Config.Env!);
            Assert.Equal(expected["ExposedPorts"]!.AsObject().Select(p => p.Key).Order(), config.Config.ExposedPorts!.Keys.Order());
            Assert.Equal(expected["Labels"]!["org.example"]!.GetValue<string>(), config.Config.Labels!["org.example"]);
            Assert.Equal(expected["User"]!.GetValue<string>(), config.Config.User);
            Assert.Equal(expected["WorkingDir"]!.GetValue<string>(), config.Config.WorkingDir);
            Assert.Equal(expected["Volumes"]!.AsObject().Select(p => p.Key), config.Config.Volumes!.Keys);
            Assert.Equal(expected["OnBuild"]!.AsArray().Select(n => n!.GetValue<string>()), config.Config.OnBuild!);
            Assert.Equal(expected["Healthcheck"]!["Test"]!.AsArray().Select(n => n!.GetValue<string>()), config.Config.Healthcheck!.Test!);
            Assert.Equal(expected["Healthcheck"]!["Interval"]!.GetValue<long>(), config.Config.Healthcheck!.Interval);
            // dockerd 20.10 takes only the OS of --platform (and keeps its own architecture); newer engines take both,
            // which is what sbuild does.
            Assert.Equal(inspect["Os"]!.GetValue<string>(), config.Os);
            Assert.Equal("arm64", config.Architecture);
        }
        finally
        {
            await docker.Client.RunAsync(["rmi", "-f", name], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Import_refuses_a_change_docker_import_refuses()
    {
        foreach (var change in new[] { "RUN echo no", "STOPSIGNAL 9" })
        {
            var refused = await docker.Client.RunAsync(["import", "-c", change, sbuild.BusyboxTar, "never:1"], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
            Assert.Contains("is not a valid change command", refused.StandardError);
            var result = await sbuild.RunAsync(["image", "import", "-c", change, sbuild.BusyboxTar, "never:1"], allowFailure: true);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains($"--change \"{change}\": only CMD, ENTRYPOINT", result.StandardError);
        }
    }
}
