using System.Text.Json;
using System.Text.RegularExpressions;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// Why a step missed the cache, through the real CLI: the <c>#N cache miss: …</c> line of plain progress for each kind
/// of difference (file content, added, removed, mode, ARG, base image, instruction text, parent step), rawjson's
/// <c>cacheMiss</c>, <c>sbuild cache why</c>, and build records going with <c>sbuild prune --all</c>. Expected lines
/// are written from what each test changes between two builds.
/// </summary>
public sealed partial class CacheWhyTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    [Fact]
    public async Task A_changed_file_is_named_with_content_and_the_unchanged_ones_counted()
    {
        using var context = CopyContext();
        await BuildAsync(context);
        File.WriteAllText(context.Combine("src", "a"), Unique());
        var (plain, _) = await BuildAsync(context);
        Assert.Equal(["COPY src /src — changed src/a (content); 2 files unchanged"], Misses(plain));
    }

    [Fact]
    public async Task An_added_file_is_named()
    {
        using var context = CopyContext();
        await BuildAsync(context);
        File.WriteAllText(context.Combine("src", "new.txt"), Unique());
        var (plain, _) = await BuildAsync(context);
        Assert.Equal(["COPY src /src — added src/new.txt; 3 files unchanged"], Misses(plain));
    }

    [Fact]
    public async Task A_removed_file_is_named()
    {
        using var context = CopyContext();
        await BuildAsync(context);
        File.Delete(context.Combine("src", "b"));
        var (plain, _) = await BuildAsync(context);
        Assert.Equal(["COPY src /src — removed src/b; 2 files unchanged"], Misses(plain));
    }

    [Fact]
    public async Task A_mode_change_is_named_with_both_modes()
    {
        using var context = CopyContext();
        await BuildAsync(context);
        File.SetUnixFileMode(context.Combine("src", "c"), (UnixFileMode)Convert.ToInt32("755", 8));
        var (plain, _) = await BuildAsync(context);
        Assert.Equal(["COPY src /src — changed src/c (mode 0644 → 0755); 2 files unchanged"], Misses(plain));
    }

    [Fact]
    public async Task A_changed_build_arg_is_named_with_both_values()
    {
        using var context = new TempDirectory("sbuild-why-arg-");
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM busybox\nARG VERSION\nRUN echo $VERSION # {Guid.NewGuid():N}\n");
        await BuildAsync(context, "--build-arg", "VERSION=1.2");
        var (plain, _) = await BuildAsync(context, "--build-arg", "VERSION=1.3");
        Assert.Equal(["RUN echo $VERSION # … — ARG VERSION 1.2 → 1.3"], Misses(plain).Select(m => Regex.Replace(m, "# [0-9a-f]{32}", "# …")));
    }

    [Fact]
    public async Task Changed_instruction_text_is_said_once()
    {
        using var context = new TempDirectory("sbuild-why-text-");
        var unique = Guid.NewGuid().ToString("N");
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM busybox\nRUN echo one {unique}\n");
        await BuildAsync(context);
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM busybox\nRUN echo two {unique}\n");
        var (plain, _) = await BuildAsync(context);
        Assert.Equal([$"RUN echo two {unique} — instruction text changed"], Misses(plain));
    }

    [Fact]
    public async Task A_step_after_a_changed_step_names_its_parent()
    {
        using var context = CopyContext("RUN ls /src\n");
        await BuildAsync(context);
        File.WriteAllText(context.Combine("src", "a"), Unique());
        var (plain, _) = await BuildAsync(context);
        Assert.Equal(["COPY src /src — changed src/a (content); 2 files unchanged", "RUN ls /src — parent step changed: [2/3] COPY src /src"],
            Misses(plain));
    }

    [Fact]
    public async Task A_copy_from_another_stage_names_the_files_that_changed_there()
    {
        using var context = new TempDirectory("sbuild-why-from-stage-");
        File.WriteAllText(context.Combine("Dockerfile"), $"""
            FROM busybox AS build
            ARG V
            RUN mkdir /out && echo $V > /out/app && echo same > /out/lib && echo {Guid.NewGuid():N} > /out/unique
            FROM busybox
            COPY --from=build /out /out
            """);
        await BuildAsync(context, "--build-arg", "V=1");
        var (plain, _) = await BuildAsync(context, "--build-arg", "V=2");
        var misses = Misses(plain);
        Assert.Equal(2, misses.Count);
        Assert.EndsWith(" — ARG V 1 → 2", misses[0]);
        Assert.Equal("COPY --from=build /out /out — changed /out/app (content); 2 files unchanged", misses[1]);
    }

    [Fact]
    public async Task An_added_url_whose_content_changed_says_so_with_its_etag_and_last_modified()
    {
        using var server = new TestHttpServer();
        var url = server.Url($"/{Guid.NewGuid():N}/app.txt");
        var path = new Uri(url).AbsolutePath;
        var monday = new DateTimeOffset(2026, 11, 2, 10, 0, 0, TimeSpan.Zero);
        server.Serve(path, new TestResponse(200, "version 1\n"u8.ToArray(), monday, ETag: "\"v1\""));
        using var context = new TempDirectory("sbuild-why-url-");
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM busybox\nADD {url} /app.txt\n");
        await BuildAsync(context);
        server.Serve(path, new TestResponse(200, "version 2\n"u8.ToArray(), monday.AddDays(1), ETag: "\"v2\""));
        var (plain, _) = await BuildAsync(context);
        Assert.Equal([$"ADD {url} /app.txt — changed {url} (content, ETag \"v1\" → \"v2\", "
            + "Last-Modified Mon, 02 Nov 2026 10:00:00 GMT → Tue, 03 Nov 2026 10:00:00 GMT); 0 files unchanged"], Misses(plain));
    }

    [Fact]
    public async Task A_base_image_that_moved_is_named_with_its_new_manifest()
    {
        using var baseContext = new TempDirectory("sbuild-why-base-");
        var name = $"whybase{Guid.NewGuid():N}"[..20];
        File.WriteAllText(baseContext.Combine("Dockerfile"), "FROM busybox\nRUN echo 1 > /x\n");
        await sbuild.RunAsync(["--progress", "plain", "-t", name, baseContext.Path]);
        using var context = new TempDirectory("sbuild-why-from-");
        File.WriteAllText(context.Combine("Dockerfile"), $"FROM {name}\nRUN cat /x\n");
        await BuildAsync(context);

        File.WriteAllText(baseContext.Combine("Dockerfile"), "FROM busybox\nRUN echo 2 > /x\n");
        var metadata = baseContext.Combine("base.json");
        await sbuild.RunAsync(["--progress", "plain", "-t", name, "--metadata-file", metadata, baseContext.Path]);
        var manifest = JsonDocument.Parse(File.ReadAllText(metadata)).RootElement.GetProperty("containerimage.digest").GetString();
        var (plain, _) = await BuildAsync(context);
        Assert.Equal([$"RUN cat /x — base docker.io/library/{name}:latest moved to {manifest}"], Misses(plain));
    }

    [Fact]
    public async Task A_first_build_and_a_cached_rebuild_print_no_explanation()
    {
        using var context = CopyContext();
        var (first, firstId) = await BuildAsync(context);
        var (second, secondId) = await BuildAsync(context);
        Assert.Empty(Misses(first));
        Assert.Empty(Misses(second));

        // The cached rebuild has nothing to explain and writes no record: --last is still the first build.
        Assert.NotEmpty(firstId);
        Assert.Empty(secondId);
        Assert.StartsWith($"build {firstId} ", (await sbuild.RunAsync(["cache", "why", "--last"])).StandardOutput);
    }

    [Fact]
    public async Task Cache_why_lists_every_step_and_every_difference_of_a_miss()
    {
        using var context = CopyContext("RUN ls /src\n");
        var (_, firstId) = await BuildAsync(context);
        for (var i = 0; i < 7; i++) File.WriteAllText(context.Combine("src", $"extra{i}"), $"{i}\n");
        File.Delete(context.Combine("src", "b"));
        var (_, secondId) = await BuildAsync(context);

        var why = await sbuild.RunAsync(["cache", "why", "--last"]);
        Assert.StartsWith($"build {secondId} of {context.Combine("Dockerfile")} at ", why.StandardOutput);
        var lines = why.StandardOutput.Split('\n').Skip(1).Where(l => l.Length > 0).ToList();
        Assert.Equal([
            "#1 [1/3] FROM busybox",
            "  ran without a cache lookup (a base image, --no-cache or --no-cache-filter)",
            "#2 [2/3] COPY src /src",
            $"  cache miss (compared with build {firstId}):",
            .. Enumerable.Range(0, 7).Select(i => $"    added src/extra{i}"),
            "    removed src/b",
            "    2 files unchanged",
            "#3 [3/3] RUN ls /src",
            $"  cache miss (compared with build {firstId}):",
            "    parent step changed: [2/3] COPY src /src",
        ], lines);
        // A unique start of the id is enough (ids begin with the build's time and end with random hex).
        var step = await sbuild.RunAsync(["cache", "why", secondId[..^2], "--step", "2"]);
        Assert.Contains("#2 [2/3] COPY src /src\n", step.StandardOutput);
        Assert.DoesNotContain("#3", step.StandardOutput);

        var rebuilt = await sbuild.RunAsync(["cache", "why", firstId]);
        Assert.Contains("#2 [2/3] COPY src /src\n  cache miss: no earlier record of this step to compare with\n", rebuilt.StandardOutput);
    }

    [Fact]
    public async Task A_build_has_one_id_for_its_record_its_logs_and_the_metadata_file()
    {
        using var context = CopyContext("RUN cat /src/a\n");
        var (_, id) = await BuildAsync(context);
        Assert.Matches(@"^\d{8}T\d{9}Z-[0-9a-f]{6}$", id);
        Assert.StartsWith($"build {id} ", (await sbuild.RunAsync(["cache", "why", id])).StandardOutput);
        var log = await sbuild.RunAsync(["logs", id, "--step", "1"]);
        Assert.Equal(File.ReadAllText(context.Combine("src", "a")), log.StandardOutput);
    }

    [Fact]
    public async Task Cache_why_of_an_unknown_build_fails_naming_it()
    {
        var result = await sbuild.RunAsync(["cache", "why", "nosuchbuild"], allowFailure: true);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no build \"nosuchbuild\"", result.StandardError);
        Assert.DoesNotContain("   at ", result.StandardError);
    }

    [Fact]
    public async Task Rawjson_vertex_of_a_missed_step_carries_the_explanation()
    {
        using var context = CopyContext();
        await BuildAsync(context);
        File.WriteAllText(context.Combine("src", "a"), Unique());
        var result = await sbuild.RunAsync(["--progress", "rawjson", context.Path]);
        var vertexes = result.StandardError.Split('\n').Where(l => l.StartsWith('{'))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("vertexes", out _)).SelectMany(e => e.GetProperty("vertexes").EnumerateArray()).ToList();
        var started = Assert.Single(vertexes, v => v.TryGetProperty("cacheMiss", out _));
        Assert.Equal("[2/2] COPY src /src", started.GetProperty("name").GetString());
        Assert.Equal("COPY src /src — changed src/a (content); 2 files unchanged", started.GetProperty("cacheMiss").GetString());
        Assert.False(started.TryGetProperty("completed", out _)); // on the step's start, with BuildKit's fields kept
    }

    [Fact]
    public async Task Prune_all_removes_the_build_records()
    {
        using var store = new TempDirectory("sbuild-why-prune-");
        using var context = new TempDirectory("sbuild-why-prune-ctx-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM scratch\nCOPY a /a\n");
        File.WriteAllText(context.Combine("a"), "a\n");
        await sbuild.RunAsync(["--progress", "plain", context.Path], storeRoot: store.Path);
        Assert.Contains("COPY a /a", (await sbuild.RunAsync(["cache", "why", "--last"], storeRoot: store.Path)).StandardOutput);

        await sbuild.RunAsync(["prune", "--all", "--force"], storeRoot: store.Path);
        var why = await sbuild.RunAsync(["cache", "why", "--last"], allowFailure: true, storeRoot: store.Path);
        Assert.NotEqual(0, why.ExitCode);
        Assert.Contains("has no build records", why.StandardError);
        // With the records gone, the next miss has nothing to compare with.
        File.WriteAllText(context.Combine("a"), "b\n");
        var rebuilt = await sbuild.RunAsync(["--progress", "plain", context.Path], storeRoot: store.Path);
        Assert.Empty(Misses(rebuilt.StandardError));
    }

    [Fact]
    public async Task A_secret_looking_arg_or_env_kept_in_the_image_is_warned_about_with_the_way_to_pass_it()
    {
        using var context = new TempDirectory("sbuild-why-secret-");
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nARG GITHUB_TOKEN\nARG PUBLIC_KEY=1\nENV DB_PASSWORD=x\nRUN true\n");
        var result = await sbuild.RunAsync(["--progress", "plain", "--build-arg", "GITHUB_TOKEN=abc", context.Path]);
        var warnings = result.StandardError.Split('\n').Where(l => l.StartsWith("WARN: ", StringComparison.Ordinal)).ToList();
        Assert.Contains("WARN: SecretsPersisted: ENV DB_PASSWORD is in the image config; pass it with --secret id=DB_PASSWORD and read it in " +
                        "RUN --mount=type=secret,id=DB_PASSWORD,env=DB_PASSWORD (nothing of it stays in the image)", warnings);
        Assert.Contains("WARN: SecretsPersisted: the value of ARG GITHUB_TOKEN is in the image history (RUN |… GITHUB_TOKEN=…); pass it with " +
                        "--secret id=GITHUB_TOKEN and read it in RUN --mount=type=secret,id=GITHUB_TOKEN,env=GITHUB_TOKEN (nothing of it stays in the image)", warnings);
        // BuildKit's declaration rule, in its words (PUBLIC_KEY is on its list of names that are not secret).
        Assert.Contains($"WARN: {context.Combine("Dockerfile")}:2: SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ARG \"GITHUB_TOKEN\")", warnings);
        Assert.DoesNotContain(warnings, w => w.Contains("PUBLIC_KEY"));
    }

    /// <summary>File content no other test's build has (the store, and so its cache, is shared by the class).</summary>
    private static string Unique() => $"{Guid.NewGuid():N}\n";

    /// <summary>A context whose Dockerfile copies src/{a,b,c} (mode 0644, content of this test only), then <paramref name="more"/>.</summary>
    private static TempDirectory CopyContext(string more = "")
    {
        var context = new TempDirectory("sbuild-why-");
        Directory.CreateDirectory(context.Combine("src"));
        foreach (var name in new[] { "a", "b", "c" })
        {
            File.WriteAllText(context.Combine("src", name), Unique());
            File.SetUnixFileMode(context.Combine("src", name), (UnixFileMode)Convert.ToInt32("644", 8));
        }
        File.WriteAllText(context.Combine("Dockerfile"), "FROM busybox\nCOPY src /src\n" + more);
        return context;
    }

    /// <summary>Builds with plain progress; the progress text and the build's id from --metadata-file (none when every
    /// step came from the cache: such a build keeps no record).</summary>
    private async Task<(string Plain, string BuildId)> BuildAsync(TempDirectory context, params string[] more)
    {
        var metadata = context.Combine($"metadata-{Guid.NewGuid():N}.json");
        var result = await sbuild.RunAsync(["--progress", "plain", "--metadata-file", metadata, .. more, context.Path]);
        var id = JsonDocument.Parse(File.ReadAllText(metadata)).RootElement.TryGetProperty("sbuild.build-id", out var value) ? value.GetString()! : "";
        File.Delete(metadata);
        return (result.StandardError, id);
    }

    /// <summary>The explanations of plain progress's <c>#N cache miss: …</c> lines, in order.</summary>
    private static List<string> Misses(string plain) =>
        MissLine().Matches(plain).Select(m => m.Groups[1].Value).ToList();

    [GeneratedRegex(@"^#\d+ cache miss: (.*)$", RegexOptions.Multiline)]
    private static partial Regex MissLine();
}
