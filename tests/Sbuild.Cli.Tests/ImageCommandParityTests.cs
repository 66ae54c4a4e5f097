using System.Text.Json;
using System.Text.RegularExpressions;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// The same images in sbuild's store and in dockerd 20.10 (built by sbuild, written as docker-archives and
/// <c>docker load</c>ed), listed, inspected and shown by both CLIs. Outputs must be byte-identical; what is normalised
/// and why is said where it is done (docs/images.md lists the same differences).
/// </summary>
public sealed class ImageParityFixture : IAsyncLifetime
{
    public SbuildCli Sbuild { get; } = new();
    public DockerClient Docker { get; private set; } = null!;
    private readonly TempDirectory _work = new("sbuild-image-parity-");
    private readonly List<string> _loadedIds = [];

    /// <summary>A repository prefix of this run: the shared daemon holds other tests' images too.</summary>
    public string Prefix { get; } = "sbimg" + Guid.NewGuid().ToString("N")[..8];
    public string App => $"{Prefix}/app";
    public string Other => $"{Prefix}/other";
    public string AppId { get; private set; } = "";
    public string OtherId { get; private set; } = "";
    public string DanglingId { get; private set; } = "";
    public string TopId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Sbuild.InitializeAsync();
        Docker = await DockerDaemon.EnsureStartedAsync(CancellationToken.None);
        // The base image under a name of this run, so both sides keep its layer while the test's images come and go.
        await Build("base", "FROM busybox\n", 0, [$"{Prefix}/busybox:base"]);
        // Distinct creation times: docker sorts by them (and leaves ties in no defined order).
        AppId = await Build("app", """
            FROM busybox
            LABEL tier=web note="a <b> & c"
            ENV FOO=bar
            RUN echo hello > /hello && ln -s /hello /link && ln /hello /hard && mkdir -p /d/e && echo x > /d/e/f
            COPY Dockerfile /df
            WORKDIR /app
            EXPOSE 8080/tcp
            VOLUME /data
            ENTRYPOINT ["/bin/sh", "-c"]
            CMD ["echo a very long command line that docker history cuts at forty-five characters"]
            """, 1700000000, [$"{App}:1", $"{App}:2"]);
        OtherId = await Build("other", "FROM busybox\nLABEL tier=db\nRUN head -c 123456 /dev/zero > /zeros\n", 1710000000, [$"{Other}:1"]);
        DanglingId = await Build("dangling", "FROM busybox\nRUN echo dangling > /d\n", 1720000000, []);
        TopId = await Build("top", "FROM busybox\nRUN echo top > /t\n", 1730000000, [$"{Prefix}/top:1"]);
        // Only the rmi test uses this one: it shares the app's first layers and adds its own.
        await Build("gone", """
            FROM busybox
            LABEL tier=web note="a <b> & c"
            ENV FOO=bar
            RUN echo hello > /hello && ln -s /hello /link && ln /hello /hard && mkdir -p /d/e && echo x > /d/e/f
            RUN echo gone > /gone
            RUN echo more > /more
            """, 1740000000, [$"{Prefix}/gone:1"]);
    }

    /// <summary>Builds into the store and loads the same image into dockerd; returns the image ID.</summary>
    public async Task<string> Build(string name, string dockerfile, long epoch, string[] tags)
    {
        var context = Directory.CreateDirectory(_work.Combine(name)).FullName;
        File.WriteAllText(Path.Combine(context, "Dockerfile"), dockerfile);
        var archive = _work.Combine(name + ".tar");
        var built = await Sbuild.RunAsync(["build", "-q", .. tags.SelectMany(t => new[] { "-t", t }), "-o", $"type=docker,dest={archive}", context], epoch: epoch);
        var id = built.StandardOutput.Trim();
        await Docker.RunAsync(["load", "-i", archive], CancellationToken.None);
        _loadedIds.Add(id);
        return id;
    }

    public async Task DisposeAsync()
    {
        foreach (var id in _loadedIds)
            await Docker.RunAsync(["rmi", "-f", id], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        await Sbuild.DisposeAsync();
        _work.Dispose();
    }
}

[Collection(DockerCollection.Name)]
public sealed class ImageCommandParityTests(ImageParityFixture images) : IClassFixture<ImageParityFixture>
{
    private async Task<(string Docker, string Sbuild)> Both(params string[] args)
    {
        var docker = await images.Docker.RunAsync(args, CancellationToken.None);
        var sbuild = await images.Sbuild.RunAsync(args);
        return (docker.StandardOutput, sbuild.StandardOutput);
    }

    private async Task AssertSame(params string[] args)
    {
        var (docker, sbuild) = await Both(args);
        Assert.False(string.IsNullOrWhiteSpace(docker), $"docker {string.Join(' ', args)} printed nothing");
        Assert.Equal(docker, sbuild);
    }

    [Fact]
    public async Task Images_table_quiet_no_trunc_and_formats_match_docker()
    {
        var reference = $"reference={images.Prefix}/*";
        await AssertSame("images", "--filter", reference);
        await AssertSame("images", "-a", "--filter", reference);
        await AssertSame("images", "--no-trunc", "--filter", reference);
        await AssertSame("images", "-q", "--filter", reference);
        await AssertSame("images", "--filter", reference, "--format", "{{json .}}");
        await AssertSame("images", "--filter", reference, "--format", "json");
        await AssertSame("images", "--filter", reference, "--format", "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedAt}}\t{{.Size}}\t{{.VirtualSize}}");
        await AssertSame("images", "--filter", reference, "--format", "{{.Repository}}:{{.Tag}} {{.CreatedSince}} {{.Size}}\\t{{upper .Tag}}");
        await AssertSame("images", images.App);
        await AssertSame("image", "ls", $"{images.App}:2");
        await AssertSame("image", "list", "--filter", $"reference={images.Prefix}/*:1", "--format", "{{.Repository}}");
    }

    [Fact]
    public async Task Images_filters_match_docker_including_the_dangling_image()
    {
        // Only images created strictly between the app (1700000000) and top (1730000000): other and the dangling one.
        string[] window = ["--filter", $"since={images.App}:1", "--filter", $"before={images.Prefix}/top:1"];
        await AssertSame(["images", .. window]);
        await AssertSame(["images", .. window, "--filter", "dangling=true"]);
        await AssertSame(["images", .. window, "--filter", "dangling=false"]);
        await AssertSame(["images", .. window, "--filter", "label=tier=db"]);
        await AssertSame(["images", "--filter", $"reference={images.Prefix}/*", "--filter", "label=tier"]);
        await AssertSame(["images", "--filter", $"reference={images.Prefix}/*", "--filter", "label=tier=web", "--format", "{{.ID}} {{.Tag}}"]);
        var (docker, sbuild) = await Both(["images", .. window, "--filter", "dangling=true", "-q", "--no-trunc"]);
        Assert.Equal(images.DanglingId + "\n", docker);
        Assert.Equal(docker, sbuild);
    }

    [Fact]
    public async Task Image_inspect_matches_docker_but_for_what_only_a_daemon_has()
    {
        foreach (var name in new[] { $"{images.App}:1", $"{images.Other}:1", images.DanglingId })
        {
            var (docker, sbuild) = await Both("image", "inspect", name);
            // dockerd's graph driver (overlay2 paths) does not exist in sbuild: GraphDriver is {"Data": null, "Name": ""}.
            // RepoDigests: dockerd 20.10 has none for a loaded image; sbuild pairs each repository with the manifest digest.
            // Metadata.LastTagTime: dockerd records when a name was last given (docker load, docker tag); the store
            // keeps no tag times, so sbuild prints the zero time.
            Assert.Equal(Normalise(docker), Normalise(sbuild));
        }
        var (_, app) = await Both("image", "inspect", $"{images.App}:1");
        var manifest = images.Sbuild.Store.Find(Sbuild.Core.ImageReference.Parse($"{images.App}:1"))!.Manifest.Digest;
        Assert.Contains($"\"RepoDigests\": [\n            \"{images.App}@{manifest}\"\n        ]", app);
    }

    [Fact]
    public async Task System_df_verbose_shows_the_image_sizes_docker_shows()
    {
        // Two images of this run only: the second builds on the first's own layer, so that layer is shared (SHARED
        // SIZE), and adds one of its own (UNIQUE SIZE); busybox's layer is shared with every other image.
        var repository = $"{images.Prefix}/df";
        await images.Build("df1", $"FROM busybox\nRUN echo {images.Prefix} > /u\n", 1750000000, [$"{repository}:1"]);
        await images.Build("df2", $"FROM busybox\nRUN echo {images.Prefix} > /u\nRUN head -c 4567 /dev/zero > /z\n", 1760000000, [$"{repository}:2"]);
        var (docker, sbuild) = await Both("system", "df", "-v");

        // The daemon is shared with other tests, so its tables hold other rows and are aligned on them: compare this
        // run's rows cell by cell, each section's header, and the alignment of sbuild's own tables.
        var dockerSections = Sections(docker);
        var sbuildSections = Sections(sbuild);
        Assert.Equal(dockerSections.Keys, sbuildSections.Keys);
        foreach (var (title, lines) in sbuildSections)
        {
            Assert.Equal(Cells(dockerSections[title][0]), Cells(lines[0]));
            AssertTabWriterLayout(lines);
        }
        string[][] Rows(List<string> lines) => lines.Where(l => l.StartsWith(repository + " ", StringComparison.Ordinal)).Select(Cells).ToArray();
        var rows = Rows(sbuildSections["Images space usage:"]);
        Assert.Equal(2, rows.Length);
        Assert.Equal(Rows(dockerSections["Images space usage:"]), rows);
        Assert.Equal("2", rows[0][1]); // newest first
        Assert.NotEqual("0B", rows[0][6]);
        Assert.Equal("0B", rows[1][6]); // all of df:1 is in df:2 too
        Assert.Empty(sbuildSections["Containers space usage:"].Skip(1));
        Assert.Empty(sbuildSections["Local Volumes space usage:"].Skip(1));
        Assert.Matches(@"\nBuild cache usage: [0-9.]+[kMG]?B\n\n", sbuild);

        var format = "{{range .Images}}{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}} {{.VirtualSize}} {{.SharedSize}} {{.UniqueSize}} {{.Containers}} {{.Digest}}|\\n{{end}}";
        (docker, sbuild) = await Both("system", "df", "--verbose", "--format", format);
        string Mine(string text) => string.Concat(text.Split('\n').Where(l => l.StartsWith(repository + ":", StringComparison.Ordinal)).Select(l => l + "\n"));
        Assert.Equal(2, Mine(docker).Count(c => c == '\n'));
        Assert.Equal(Mine(docker), Mine(sbuild));
    }

    /// <summary>docker system df -v's sections: title → the lines of its table (header first), blank lines dropped.</summary>
    private static Dictionary<string, List<string>> Sections(string text)
    {
        var sections = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        List<string>? current = null;
        foreach (var line in text.Split('\n').Where(l => l.Length > 0))
        {
            if (line.EndsWith("space usage:", StringComparison.Ordinal) || line.StartsWith("Build cache usage: ", StringComparison.Ordinal))
                sections[line.StartsWith("Build cache", StringComparison.Ordinal) ? "Build cache usage:" : line] = current = [];
            else current!.Add(line);
        }
        return sections;
    }

    /// <summary>A table line's cells: docker's tab writer pads every cell but the last with at least 3 spaces.</summary>
    private static string[] Cells(string line) => Regex.Split(line.TrimEnd(), " {3,}");

    /// <summary>
    /// The layout of docker's tables (text/tabwriter, minwidth 10, padding 3): each column as wide as its widest cell
    /// plus 3, at least 10; the last cell of a line unpadded.
    /// </summary>
    private static void AssertTabWriterLayout(List<string> lines)
    {
        var cells = lines.Select(Cells).ToList();
        var columns = cells.Max(c => c.Length);
        var widths = Enumerable.Range(0, columns).Select(j => Math.Max(10, cells.Where(c => c.Length > j + 1).Select(c => c[j].Length + 3).DefaultIfEmpty(0).Max())).ToList();
        var expected = cells.Select(c => string.Concat(c.Select((cell, j) => j == c.Length - 1 ? cell : cell.PadRight(widths[j]))));
        Assert.Equal(expected, lines);
    }

    private static string Normalise(string inspect)
    {
        var text = Regex.Replace(inspect, "\"GraphDriver\": \\{.*?\n        \\}", "\"GraphDriver\": …", RegexOptions.Singleline);
        text = Regex.Replace(text, "\"LastTagTime\": \"[^\"]*\"", "\"LastTagTime\": …");
        return Regex.Replace(text, "\"RepoDigests\": \\[.*?\\]", "\"RepoDigests\": …", RegexOptions.Singleline);
    }

    [Fact]
    public async Task Image_inspect_templates_match_docker()
    {
        var name = $"{images.App}:1";
        foreach (var format in new[]
                 {
                     "{{.Id}} {{.RepoTags}} {{.Size}} {{.VirtualSize}} {{.Os}}/{{.Architecture}} {{.Created}}",
                     "{{json .RootFS}}", "{{index .RepoTags 0}}", "{{range .RepoTags}}[{{.}}]{{end}}", "{{join .RepoTags \",\"}}",
                     "{{.Config.Env}}", "{{json .Config.Labels}}", "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}",
                     "{{.Config.Labels}}", "{{upper .Os}} {{lower \"ABC\"}} {{title \"a b\"}}", "{{println .Os}}x",
                     "{{if eq .Os \"linux\"}}L{{else}}N{{end}}", "{{.Config.Cmd}} {{.Config.Volumes}} {{.Config.Entrypoint}}",
                     "{{len .RootFS.Layers}} {{.Config.ExposedPorts}}", "{{with .Config}}{{.WorkingDir}}{{end}}",
                     "{{.Config.WorkingDir | printf \"%s!\"}}", "{{index .Config.Labels \"tier\"}}",
                     "{{json .Config}}", "{{.Config}}", "{{.ContainerConfig}}",
                 })
            await AssertSame("image", "inspect", "--format", format, name);
    }

    [Fact]
    public async Task History_matches_docker()
    {
        var name = $"{images.App}:1";
        await AssertSame("history", name);
        await AssertSame("image", "history", name);
        await AssertSame("history", "--no-trunc", name);
        await AssertSame("history", "-q", name);
        await AssertSame("history", "--human=false", name);
        await AssertSame("history", "-H=false", "--no-trunc", name);
        await AssertSame("history", "--format", "{{json .}}", name);
        await AssertSame("history", "--format", "table {{.ID}}\t{{.CreatedBy}}\t{{.Size}}", name);
        await AssertSame("history", "--format", "{{.CreatedAt}} {{.Comment}}", images.OtherId);
    }

    [Fact]
    public async Task Unknown_names_fail_as_in_docker()
    {
        var inspect = await images.Sbuild.RunAsync(["image", "inspect", "nope-" + images.Prefix], allowFailure: true);
        Assert.Equal(1, inspect.ExitCode);
        Assert.Equal("[]\n", inspect.StandardOutput);
        Assert.Equal($"Error: No such image: nope-{images.Prefix}\n", inspect.StandardError);
        var docker = await images.Docker.RunAsync(["image", "inspect", "nope-" + images.Prefix], new ProcessRunOptions { AllowFailure = true }, CancellationToken.None);
        Assert.Equal((docker.ExitCode, docker.StandardOutput), (inspect.ExitCode, inspect.StandardOutput));

        var history = await images.Sbuild.RunAsync(["history", "nope"], allowFailure: true);
        Assert.Equal(1, history.ExitCode);
        Assert.Contains("No such image: nope:latest", history.StandardError);
        var filter = await images.Sbuild.RunAsync(["images", "--filter", "color=red"], allowFailure: true);
        Assert.Equal(1, filter.ExitCode);
        Assert.Contains("Invalid filter 'color'", filter.StandardError);
        var template = await images.Sbuild.RunAsync(["images", "--format", "{{template \"x\"}}"], allowFailure: true);
        Assert.Equal(1, template.ExitCode);
        Assert.Contains("--format", template.StandardError);
        Assert.DoesNotContain("   at ", template.StandardError);
    }

    [Fact]
    public async Task Rmi_and_tag_print_what_docker_prints_for_the_same_images()
    {
        // Both sides get a name of their own on the other image, then lose it, then the image goes by ID: the
        // "Deleted:" lines name the image ID and the layers (chain IDs) no other image shares, as dockerd's layer store.
        var extra = $"{images.Prefix}/extra:1";
        foreach (var args in new[] { new[] { "tag", images.OtherId[7..19], extra }, ["tag", $"{images.Other}:1", $"{images.Prefix}/extra:2"] })
        {
            await images.Docker.RunAsync(args, CancellationToken.None);
            await images.Sbuild.RunAsync(args);
        }
        await AssertSame("images", "--filter", $"reference={images.Prefix}/extra");
        await AssertSame("rmi", extra);
        var (docker, sbuild) = await Both("rmi", $"{images.Prefix}/extra:2");
        // The store shows each repository's manifest digest as a repo digest (see Image_inspect…), and untags it with
        // the repository's last tag, as docker does for pulled images: that one line is extra.
        Assert.Equal(docker, Regex.Replace(sbuild, "Untagged: [^\n]*@sha256:[0-9a-f]{64}\n", ""));
        Assert.Equal("Untagged: " + $"{images.Prefix}/extra:2\n", docker);

        (docker, sbuild) = await Both("rmi", $"{images.Prefix}/gone:1");
        Assert.Matches("^Untagged: [^\n]+\nDeleted: sha256:[0-9a-f]{64}\nDeleted: sha256:[0-9a-f]{64}\nDeleted: sha256:[0-9a-f]{64}\n$", docker);
        Assert.Equal(docker, Regex.Replace(sbuild, "Untagged: [^\n]*@sha256:[0-9a-f]{64}\n", ""));
    }
}
