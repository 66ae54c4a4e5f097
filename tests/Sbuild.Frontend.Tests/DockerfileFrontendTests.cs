using System.Text.Json;
using Sbuild.Core;
using Sbuild.Parser;

namespace Sbuild.Frontend.Tests;

/// <summary>Dockerfile in, op graph out, with no store, runtime or network (BuildKit's dockerfile2llb tests).</summary>
public sealed class DockerfileFrontendTests : IDisposable
{
    private static readonly Digest BusyboxManifest = Digest.Of("busybox manifest"u8);
    private static readonly Digest AlpineManifest = Digest.Of("alpine manifest"u8);
    private readonly string _dir = Directory.CreateTempSubdirectory("sbuild-frontend-test").FullName;
    private readonly FakeImages _images = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class FakeImages : IImageResolver
    {
        public readonly List<string> Resolved = [];
        public readonly Dictionary<string, ResolvedImage> Known = new()
        {
            ["docker.io/library/busybox:latest"] = new(BusyboxManifest, Config(new ContainerConfig { Env = ["PATH=/bin", "HOME=/root"], WorkingDir = "/home" })),
            ["docker.io/library/alpine:3"] = new(AlpineManifest, Config(new ContainerConfig { OnBuild = ["RUN echo triggered", "ENV FROM_TRIGGER=1"] })),
        };

        public ResolvedImage Resolve(ImageReference reference, Platform platform)
        {
            Resolved.Add(reference.FullName);
            return Known.TryGetValue(reference.FullName, out var image) ? image
                : throw new SbuildException(ErrorCode.ImageNotFound, $"{reference}: not found");
        }

        private static ImageConfig Config(ContainerConfig config) => new()
        {
            Architecture = Platform.Host.Architecture, Os = Platform.Host.Os, Config = config, RootFs = new RootFs { DiffIds = [] },
        };
    }

    private FrontendResult Convert(string dockerfile, string? target = null, Dictionary<string, string>? args = null, params string[] noCache) =>
        Convert(dockerfile, NetworkMode.Host, target, args, noCache);

    private FrontendResult Convert(string dockerfile, NetworkMode network, string? target = null, Dictionary<string, string>? args = null, params string[] noCache)
    {
        var path = Path.Combine(_dir, "Dockerfile");
        File.WriteAllText(path, dockerfile);
        return DockerfileFrontend.Convert(new FrontendRequest
        {
            DockerfilePath = path, Target = target, BuildArgs = args ?? [], NoCacheStages = noCache.ToHashSet(), Network = network,
        }, _images);
    }

    private string Graph(string dockerfile, string? target = null, Dictionary<string, string>? args = null, params string[] noCache) =>
        OpGraphText.Of(Convert(dockerfile, target, args, noCache).Target.Fs);

    [Fact]
    public void Copy_and_run_become_a_chain_over_the_pinned_base_image()
    {
        Assert.Equal(
            $$"""
            #0 {"op":"image","reference":"docker.io/library/busybox:latest","manifest":"{{BusyboxManifest}}"}
            #1 {"op":"copy","from":"Context","sources":["src","go.*"],"destination":"/app/","chmod":"755"} <- #0
            #2 {"op":"exec","args":["/bin/sh","-c","make \u003E out"],"env":["PATH=/bin","HOME=/root"],"cwd":"/home","user":"","network":"Host","scripts":[],"privileged":false,"mounts":[],"proxyEnv":[]} <- #1

            """.ReplaceLineEndings("\n"),
            Graph("FROM busybox\nCOPY --chmod=755 src go.* /app/\nRUN make > out\n"));
    }

    [Fact]
    public void Copy_parents_and_exclude_enter_the_op_unexpanded_and_the_history_shows_parents_only()
    {
        var result = Convert("FROM busybox\nARG P=x\nCOPY --parents --exclude=$P --exclude=*.md --chown=1 a/./b /d/\nADD --exclude=*.tmp c /e/\n");
        Assert.Equal(
            """
            {"op":"copy","from":"Context","sources":["a/./b"],"destination":"/d/","chown":"1","parents":true,"excludes":["$P","*.md"]}
            {"op":"add","sources":["c"],"destination":"/e/","excludes":["*.tmp"]}
            """.ReplaceLineEndings("\n"),
            string.Join('\n', new[] { result.Target.Fs.Inputs[0].Op, result.Target.Fs.Op }.Select(op => JsonSerializer.Serialize(op, FrontendJsonContext.Default.Op))));
        // BuildKit's dispatchCopy: COPY, --parents, --chown, the sources, the destination; --exclude is not shown.
        Assert.Equal(["ARG P=x", "COPY --parents --chown=1 a/./b /d/ # buildkit", "ADD c /e/ # buildkit"], result.Target.History.Select(h => h.CreatedBy));
    }

    // 100,000 distinct ENV and LABEL keys: each instruction changes the stage in place, so planning stays linear (a
    // quadratic planner needs many minutes here; the timeout only keeps such a regression from hanging the suite).
    [Fact(Timeout = 120_000)]
    public async Task A_hundred_thousand_env_and_label_lines_plan_in_linear_time()
    {
        await Task.Yield();
        const int n = 100_000;
        var text = new System.Text.StringBuilder("FROM scratch\n");
        for (var i = 0; i < n; i++) text.Append("ENV K").Append(i).Append("=v").Append(i).Append(" L=${K").Append(i).Append(":-old}\n");
        for (var i = 0; i < n; i++) text.Append("LABEL k").Append(i).Append("=$K").Append(i).Append('\n');
        var config = Convert(text.ToString()).Target.Config;

        Assert.Equal(n + 2, config.Env!.Count); // PATH, K0, L (replaced in place by every ENV), K1…K99999
        Assert.Equal("L=old", config.Env[2]); // each L expands K as it was before its ENV: not set yet
        Assert.Equal($"K{n - 1}=v{n - 1}", config.Env[^1]);
        Assert.Equal(n, config.Labels!.Count);
        Assert.Equal("v12345", config.Labels["k12345"]);
    }

    [Theory]
    [InlineData("COPY https://example.com/a.txt /a", "source can't be a URL for COPY")]
    [InlineData("COPY https://example.com/repo.git /r", "source can't be a git ref for COPY")]
    [InlineData("COPY git@example.com:org/repo.git#main /r", "source can't be a git ref for COPY")]
    public void Copy_refuses_urls_and_git_sources_as_buildkit_does(string instruction, string message)
    {
        var error = Assert.Throws<DockerfileException>(() => Convert($"FROM busybox\n{instruction}\n"));
        Assert.Contains(message, error.Message);
        Assert.Equal(2, error.Location.Line);
    }

    [Fact]
    public void Relative_destinations_workdir_user_and_network_are_resolved_when_planning()
    {
        Assert.Equal(
            """
            #0 {"op":"image","reference":"docker.io/library/busybox:latest","manifest":"BUSYBOX"}
            #1 {"op":"mkdir","path":"/home/w","user":""} <- #0
            #2 {"op":"copy","from":"Context","sources":["a"],"destination":"/home/w/b/","chown":"app:app"} <- #1
            #3 {"op":"exec","args":["id"],"env":["PATH=/bin","HOME=/root"],"cwd":"/home/w","user":"app","network":"Host","scripts":[],"privileged":false,"mounts":[],"proxyEnv":[]} <- #2

            """.ReplaceLineEndings("\n").Replace("BUSYBOX", BusyboxManifest.ToString()),
            Graph("FROM busybox\nWORKDIR w\nCOPY --chown=app:app a b/\nUSER app\nRUN --network=host [\"id\"]\n"));
    }

    [Theory]
    [InlineData("RUN x", NetworkMode.Host, NetworkMode.Host)]
    [InlineData("RUN --network=default x", NetworkMode.Host, NetworkMode.Host)]
    [InlineData("RUN --network=none x", NetworkMode.Host, NetworkMode.None)]
    [InlineData("RUN x", NetworkMode.None, NetworkMode.None)]
    [InlineData("RUN --network=default x", NetworkMode.None, NetworkMode.None)]
    [InlineData("RUN --network=host x", NetworkMode.None, NetworkMode.Host)]
    public void A_run_without_its_own_network_gets_the_builds(string run, NetworkMode build, NetworkMode expected) =>
        Assert.Equal(expected, Assert.IsType<ExecOp>(Convert($"FROM busybox\n{run}\n", build).Target.Fs.Op).Network);

    [Fact]
    public void Run_sees_env_then_stage_args_and_proxy_args_stay_out_of_env()
    {
        var result = Convert("FROM busybox\nARG V=1\nARG HTTP_PROXY\nENV A=$V\nRUN env\n", args: new() { ["HTTP_PROXY"] = "http://proxy:3128", ["V"] = "2" });
        var exec = Assert.IsType<ExecOp>(result.Target.Fs.Op);
        Assert.Equal(["PATH=/bin", "HOME=/root", "A=2", "V=2"], exec.Env);
        Assert.Equal(["HTTP_PROXY=http://proxy:3128"], exec.ProxyEnv);
        // The history names every declared ARG, proxies too (BuildKit's runCommandString does not leave them out).
        Assert.Equal("RUN |2 V=2 HTTP_PROXY=http://proxy:3128 /bin/sh -c env # buildkit", result.Target.History[^1].CreatedBy);
    }

    [Fact]
    public void Copy_from_a_stage_takes_that_stage_as_its_second_input_and_unused_stages_are_not_converted()
    {
        var result = Convert("""
            FROM alpine:3 AS unused
            FROM busybox AS build
            RUN make
            FROM scratch
            COPY --from=build /out /bin/
            """);
        Assert.Equal(
            $$"""
            #0 {"op":"scratch"}
            #1 {"op":"image","reference":"docker.io/library/busybox:latest","manifest":"{{BusyboxManifest}}"}
            #2 {"op":"exec","args":["/bin/sh","-c","make"],"env":["PATH=/bin","HOME=/root"],"cwd":"/home","user":"","network":"Host","scripts":[],"privileged":false,"mounts":[],"proxyEnv":[]} <- #1
            #3 {"op":"copy","from":"Input","sources":["/out"],"destination":"/bin/"} <- #0,#2

            """.ReplaceLineEndings("\n"),
            OpGraphText.Of(result.Target.Fs));
        Assert.Equal(["docker.io/library/busybox:latest"], _images.Resolved);
    }

    [Fact]
    public void Bind_mounts_from_stages_and_images_become_inputs_after_the_rootfs_each_once()
    {
        var result = Convert("""
            FROM busybox AS deps
            RUN make deps
            FROM busybox
            WORKDIR /src
            RUN --mount=from=deps,source=/a,target=/a --mount=type=bind,from=alpine:3,target=/b --mount=from=deps,target=c --mount=type=cache,target=/root/.cache make
            """);
        var node = result.Target.Fs;
        var exec = Assert.IsType<ExecOp>(node.Op);
        Assert.Equal(3, node.Inputs.Count);
        Assert.IsType<ExecOp>(node.Inputs[1].Op); // the deps stage
        Assert.Equal(AlpineManifest, Assert.IsType<ImageOp>(node.Inputs[2].Op).Manifest);
        Assert.Equal([(int?)1, 2, 1, null], exec.Mounts.Select(m => m.Input));
        Assert.Equal(["/a", "/b", "/src/c", "/root/.cache"], exec.Mounts.Select(m => m.Target));
        // A mount of the very node the RUN starts from is an input of its own: input 0 is changed, never mounted.
        var same = Convert("FROM busybox AS base\nFROM busybox\nRUN --mount=from=base,target=/b --mount=type=cache,from=base,target=/c true\n").Target.Fs;
        Assert.Same(same.Inputs[0], same.Inputs[1]);
        Assert.Equal([(int?)1, 1], Assert.IsType<ExecOp>(same.Op).Mounts.Select(m => m.Input));
        var missing = Assert.Throws<DockerfileException>(() => Convert("FROM busybox\nRUN --mount=from=nothere,target=/x true\n"));
        Assert.Contains("RUN --mount from=nothere: no stage named \"nothere\"", missing.Message);
    }

    [Fact]
    public void A_stage_used_twice_is_one_node()
    {
        var result = Convert("FROM busybox AS base\nRUN make\nFROM base AS a\nRUN a\nFROM busybox\nCOPY --from=base /x /x\nCOPY --from=a /y /y\n");
        var copyY = result.Target.Fs;
        var stageA = copyY.Inputs[1];
        var copyX = copyY.Inputs[0];
        Assert.Same(copyX.Inputs[1], stageA.Inputs[0]); // "a" is built on the very node COPY --from=base reads
        Assert.Same(copyX.Inputs[0], copyX.Inputs[1].Inputs[0]); // one busybox node for every stage that uses it
    }

    [Fact]
    public void Copy_from_an_image_resolves_it_like_a_base()
    {
        var result = Convert("FROM scratch\nCOPY --from=alpine:3 /etc/os-release /\n");
        var source = Assert.IsType<ImageOp>(result.Target.Fs.Inputs[1].Op);
        Assert.Equal(AlpineManifest, source.Manifest);
    }

    [Fact]
    public void Onbuild_triggers_of_the_base_run_after_from()
    {
        Assert.Equal(
            $$"""
            #0 {"op":"image","reference":"docker.io/library/alpine:3","manifest":"{{AlpineManifest}}"}
            #1 {"op":"exec","args":["/bin/sh","-c","echo triggered"],"env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"cwd":"/","user":"","network":"Host","scripts":[],"privileged":false,"mounts":[],"proxyEnv":[]} <- #0
            #2 {"op":"exec","args":["/bin/sh","-c","env"],"env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","FROM_TRIGGER=1"],"cwd":"/","user":"","network":"Host","scripts":[],"privileged":false,"mounts":[],"proxyEnv":[]} <- #1

            """.ReplaceLineEndings("\n"),
            Graph("FROM alpine:3\nRUN env\n"));
    }

    [Fact]
    public void Onbuild_triggers_of_an_earlier_stage_run_in_the_stage_built_on_it_and_write_no_history_themselves()
    {
        var result = Convert("FROM busybox AS base\nONBUILD ENV T=1\nONBUILD RUN make\nFROM base AS child\nRUN env\nFROM child\n");
        var child = result.Target;
        Assert.Null(child.Config.OnBuild); // consumed by "child", not inherited by the stage after it
        Assert.Contains("T=1", child.Config.Env!);
        Assert.Equal(["ENV T=1", "RUN /bin/sh -c make # buildkit", "RUN /bin/sh -c env # buildkit"], child.History.Select(h => h.CreatedBy));
        var env = Assert.IsType<ExecOp>(child.Fs.Op);
        Assert.Equal(["/bin/sh", "-c", "make"], Assert.IsType<ExecOp>(child.Fs.Inputs[0].Op).Args);
        Assert.Contains("T=1", env.Env);
    }

    [Fact]
    public void Workdir_keeps_an_absolute_path_as_written_and_makes_no_layer_for_the_root()
    {
        var result = Convert("FROM busybox\nWORKDIR /a/b/\nWORKDIR ../c/./d/\nWORKDIR /\n");
        Assert.Equal(["WORKDIR /a/b/", "WORKDIR /a/c/d", "WORKDIR /"], result.Target.History.Select(h => h.CreatedBy));
        Assert.Equal([true, true, false], result.Target.History.Select(h => h.Layer is not null));
        Assert.Equal("/", result.Target.Config.WorkingDir);
        Assert.Equal("/a/c/d", Assert.IsType<MkdirOp>(result.Target.Fs.Op).Path);
    }

    [Fact]
    public void A_scratch_stage_starts_with_the_default_path_and_the_root_as_working_directory()
    {
        // BuildKit's emptyImage: the oracle's FROM scratch image has WorkingDir "/" and PATH, and nothing else.
        var config = Convert("FROM scratch\n").Target.Config;
        Assert.Equal(["PATH=" + StageConverter.DefaultPath], config.Env);
        Assert.Equal("/", config.WorkingDir);
        // An image without a WorkingDir keeps none.
        Assert.Null(Convert("FROM alpine:3\n").Target.Config.WorkingDir);
    }

    [Theory]
    [InlineData("docker/dockerfile:1")]
    [InlineData("docker/dockerfile:1.7")]
    [InlineData("docker/dockerfile:1.7.1-labs")]
    [InlineData("docker.io/docker/dockerfile:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void A_syntax_directive_naming_the_dockerfile_frontend_is_built_with_a_note(string syntax)
    {
        var result = Convert($"# syntax={syntax}\nFROM busybox\n");
        Assert.Equal([$"# syntax={syntax}: built with sbuild's own Dockerfile frontend (1.x syntax; no frontend image is pulled)"], result.Notes);
        Assert.Empty(Convert("FROM busybox\n").Notes);
    }

    [Theory]
    [InlineData("tonistiigi/dockerfile:runmount")]
    [InlineData("docker/dockerfile:0.9")]
    [InlineData("example.com/frontends/custom:2")]
    public void A_syntax_directive_naming_another_frontend_is_refused_at_its_line(string syntax)
    {
        var error = Assert.Throws<DockerfileException>(() => Convert($"# check=skip=all\n# syntax={syntax}\nFROM busybox\n"));
        Assert.Equal(2, error.Location.Line);
        Assert.Contains($"# syntax={syntax}: sbuild runs only its own Dockerfile frontend", error.Message);
    }

    [Fact]
    public void History_texts_are_buildkits_go_formatting_of_each_instruction()
    {
        var result = Convert("""
            FROM busybox AS base
            ARG A=1 UNSET
            FROM base
            ARG B=2
            ENV A=env
            RUN true
            COPY --from=base --chown=1:2 --chmod=640 /a /b /dst/
            ADD --chmod=755 x.tgz /opt/
            CMD ["echo", "say \"hi\""]
            ENTRYPOINT /bin/run
            SHELL ["/bin/sh", "-xc"]
            EXPOSE 80 53/udp 8000-8001
            VOLUME /data /logs
            HEALTHCHECK --interval=90s --timeout=1500ms --retries=3 CMD wget -q localhost
            """);
        Assert.Equal([
            "ARG A=1 UNSET",
            "ARG B=2",
            "ENV A=env",
            // ARGs of the base stage come first; an ENV of the same name wins; unset is empty.
            "RUN |3 A=env UNSET= B=2 /bin/sh -c true # buildkit",
            "COPY --chown=1:2 --chmod=640 /a /b /dst/ # buildkit",
            "ADD --chmod=755 x.tgz /opt/ # buildkit",
            "CMD [\"echo\" \"say \\\"hi\\\"\"]",
            "ENTRYPOINT [\"/bin/sh\" \"-c\" \"/bin/run\"]",
            "SHELL [/bin/sh -xc]",
            "EXPOSE [53/udp 80/tcp 8000/tcp 8001/tcp]", // BuildKit's parser sorts the words as written
            "VOLUME [/data /logs]",
            "HEALTHCHECK {Test:[CMD-SHELL wget -q localhost] Interval:1m30s Timeout:1.5s StartPeriod:0s StartInterval:0s Retries:3}",
        ], result.Target.History.Select(h => h.CreatedBy));
    }

    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(1L, "1ns")]
    [InlineData(1_100L, "1.1µs")]
    [InlineData(2_200_000L, "2.2ms")]
    [InlineData(30_000_000_000L, "30s")]
    [InlineData(90_500_000_000L, "1m30.5s")]
    [InlineData(7_200_000_000_000L, "2h0m0s")]
    [InlineData(-1_500_000_000L, "-1.5s")]
    public void Durations_print_as_go_does(long nanoseconds, string expected) => Assert.Equal(expected, GoText.Duration(nanoseconds));

    [Fact]
    public void Heredocs_become_scripts_and_inline_files()
    {
        var result = Convert("FROM busybox\nRUN <<EOF\n#!/bin/sh -e\necho hi\nEOF\nRUN <<EOF\necho plain\nEOF\nCOPY <<conf /etc/app.conf\nk=v\nconf\n");
        var copy = Assert.IsType<CopyOp>(result.Target.Fs.Op);
        Assert.Equal((CopySource.Context, 0), (copy.From, copy.Sources.Count));
        Assert.Equal([new InlineFile("conf", "k=v\n")], copy.Files!);
        // Only a heredoc with #! becomes a script; without one its text is the shell's command (BuildKit's dispatchRun).
        var plain = Assert.IsType<ExecOp>(result.Target.Fs.Inputs[0].Op);
        Assert.Equal(["/bin/sh", "-c", "echo plain\n"], plain.Args);
        Assert.Empty(plain.Scripts);
        var script = Assert.IsType<ExecOp>(result.Target.Fs.Inputs[0].Inputs[0].Op);
        Assert.Equal(["/bin/sh", "-c", "/dev/pipes/EOF"], script.Args);
        Assert.Equal([new InlineFile("EOF", "#!/bin/sh -e\necho hi\n")], script.Scripts);
        Assert.Equal(["RUN /bin/sh -c /dev/pipes/EOF # buildkit", "RUN /bin/sh -c echo plain\n # buildkit", "COPY <<conf /etc/app.conf # buildkit"],
            result.Target.History.Select(h => h.CreatedBy));
    }

    [Theory]
    // BuildKit expands the body with the stage environment, keeps quotes, escapes with a backslash even under
    // "# escape=`", and leaves a body with a quoted delimiter alone (values as the oracle builds them).
    [InlineData("COPY <<EOF /f\nhome=$HOME unset=$NOPE '$HOME' \"$HOME\" \\$HOME\nEOF\n", "home=/root unset= '/root' \"/root\" $HOME\n")]
    [InlineData("# escape=`\nFROM busybox\nCOPY <<EOF /f\n\\$HOME `$HOME\nEOF\n", "$HOME `/root\n")]
    [InlineData("COPY <<'EOF' /f\n$HOME\nEOF\n", "$HOME\n")]
    [InlineData("ARG V=arg\nADD <<EOF /f\n${V}\nEOF\n", "arg\n")]
    public void Copy_heredoc_bodies_are_expanded_unless_the_delimiter_is_quoted(string instructions, string expected)
    {
        var dockerfile = instructions.StartsWith('#') ? instructions : "FROM busybox\n" + instructions;
        var files = Convert(dockerfile).Target.Fs.Op switch { CopyOp copy => copy.Files, AddOp add => add.Files, _ => null };
        Assert.Equal(expected, Assert.Single(files!).Content);
    }

    [Fact]
    public void Here_documents_mixed_with_sources_are_one_copy_step_after_them()
    {
        var result = Convert("FROM busybox AS src\nFROM busybox\nCOPY a.txt <<one <<two /d/\n1\none\n2\ntwo\nCOPY --from=src /etc/passwd <<three /e/\n3\nthree\n");
        var fromStage = Assert.IsType<CopyOp>(result.Target.Fs.Op);
        Assert.Equal((CopySource.Input, "/e/"), (fromStage.From, fromStage.Destination));
        Assert.Equal([new InlineFile("three", "3\n")], fromStage.Files!);
        var fromContext = Assert.IsType<CopyOp>(result.Target.Fs.Inputs[0].Op);
        Assert.Equal(["a.txt"], fromContext.Sources);
        Assert.Equal([new InlineFile("one", "1\n"), new InlineFile("two", "2\n")], fromContext.Files!);
        Assert.Equal(["COPY a.txt <<one <<two /d/ # buildkit", "COPY /etc/passwd <<three /e/ # buildkit"], result.Target.History.Select(h => h.CreatedBy));
    }

    [Fact]
    public void Empty_cmd_and_entrypoint_lists_leave_no_key()
    {
        // BuildKit writes neither key for CMD [] / ENTRYPOINT [] (the oracle's config has none).
        var config = Convert("FROM busybox\nCMD [\"x\"]\nENTRYPOINT []\nCMD []\n").Target.Config;
        Assert.Null(config.Entrypoint);
        Assert.Null(config.Cmd);
        Assert.True(config.ArgsEscaped);
    }

    [Fact]
    public void Chmod_and_chown_are_expanded_and_an_empty_expansion_is_no_flag()
    {
        var result = Convert("FROM busybox\nARG MODE=u+x,go-w\nARG OWNER=1:2\nARG EMPTY=\nCOPY --chmod=$MODE --chown=$OWNER a /a\nCOPY --chmod=$EMPTY --chown=$EMPTY b /b\n");
        var empty = Assert.IsType<CopyOp>(result.Target.Fs.Op);
        var given = Assert.IsType<CopyOp>(result.Target.Fs.Inputs[0].Op);
        Assert.Equal(("u+x,go-w", "1:2"), (given.Chmod, given.Chown));
        Assert.Equal((null, null), (empty.Chmod, empty.Chown));
        Assert.Equal(["COPY --chown=1:2 --chmod=u+x,go-w a /a # buildkit", "COPY b /b # buildkit"], result.Target.History.TakeLast(2).Select(h => h.CreatedBy));
        var bad = Assert.Throws<DockerfileException>(() => Convert("FROM busybox\nARG MODE=8\nCOPY --chmod=$MODE a /a\n"));
        Assert.Contains("invalid chmod parameter: '8'", bad.Message);
    }

    [Theory]
    // The oracle fails COPY --link --chown=usr ("invalid user index: -1"): a linked copy has no /etc/passwd.
    [InlineData("COPY --link --chown=usr a /a", false)]
    [InlineData("COPY --link --chown=1:grp a /a", false)]
    [InlineData("ADD --link --chown=usr a /a", false)]
    // Ids and root need no lookup, and with --chmod BuildKit does not link, so names work there.
    [InlineData("COPY --link --chown=1500:2000 a /a", true)]
    [InlineData("COPY --link --chown=root:root a /a", true)]
    [InlineData("COPY --link --chmod=640 --chown=usr:grp a /a", true)]
    [InlineData("COPY --chown=usr a /a", true)]
    public void Link_with_an_owner_name_is_refused_unless_chmod_is_given(string copy, bool accepted)
    {
        var dockerfile = $"FROM busybox\n{copy}\n";
        if (accepted) Assert.IsType<CopyOp>(Convert(dockerfile).Target.Fs.Op);
        else Assert.Contains("only numeric ids (or root)", Assert.Throws<DockerfileException>(() => Convert(dockerfile)).Message);
    }

    [Fact]
    public void Add_keeps_urls_checksum_and_unpack_choice()
    {
        var sum = Digest.Of("x"u8);
        var add = Assert.IsType<AddOp>(Convert($"FROM busybox\nADD --checksum={sum} --unpack=false http://127.0.0.1/a.tgz /x/\n").Target.Fs.Op);
        Assert.Equal(["http://127.0.0.1/a.tgz"], add.Sources);
        Assert.Equal(("/x/", sum, (bool?)false), (add.Destination, add.Checksum, add.Unpack));
    }

    [Fact]
    public void Add_of_a_git_repository_copies_the_root_of_a_git_source()
    {
        Assert.Equal(
            $$"""
            #0 {"op":"image","reference":"docker.io/library/busybox:latest","manifest":"{{BusyboxManifest}}"}
            #1 {"op":"git","remote":"https://h/org/repo.git","ref":"v1.2","subdir":"docs/api","keepGitDir":false,"skipSubmodules":false,"fetchByCommit":false}
            #2 {"op":"copy","from":"Input","sources":["/"],"destination":"/srv/"} <- #0,#1

            """.ReplaceLineEndings("\n"),
            Graph("FROM busybox\nADD https://h/org/repo.git#v1.2:docs//api/ /srv/\n"));
    }

    [Fact]
    public void Add_git_flags_and_query_options_reach_the_git_source_but_not_the_history()
    {
        var result = Convert("""
            FROM busybox
            ARG SUM=0a1b2c
            ADD --keep-git-dir=true --checksum=$SUM --chown=1:2 --chmod=750 git@h:org/repo.git src
            ADD "https://h/r.git?branch=dev&subdir=/pkg&submodules=false&keep-git-dir" /pkg
            ADD git://h/r.git?fetch-by-commit&commit=0123456789abcdef0123456789abcdef01234567 /pinned
            """);
        var pinned = result.Target.Fs;
        var pkg = pinned.Inputs[0];
        var src = pkg.Inputs[0];
        Assert.Equal(new GitOp("git@h:org/repo.git", null, null, true, "0a1b2c", false, false), src.Inputs[1].Op);
        var copy = Assert.IsType<CopyOp>(src.Op);
        Assert.Equal((CopySource.Input, "/home/src", "1:2", "750"), (copy.From, copy.Destination, copy.Chown, copy.Chmod));
        Assert.Equal(["/"], copy.Sources);
        Assert.Equal(new GitOp("https://h/r.git", "refs/heads/dev", "pkg", true, null, true, false), pkg.Inputs[1].Op);
        Assert.Equal(new GitOp("git://h/r.git", null, null, false, "0123456789abcdef0123456789abcdef01234567", false, true), pinned.Inputs[1].Op);
        // BuildKit's text has --chown and --chmod only, and the source as written.
        Assert.Equal([
            "ARG SUM=0a1b2c",
            "ADD --chown=1:2 --chmod=750 git@h:org/repo.git src # buildkit",
            "ADD https://h/r.git?branch=dev&subdir=/pkg&submodules=false&keep-git-dir /pkg # buildkit",
            "ADD git://h/r.git?fetch-by-commit&commit=0123456789abcdef0123456789abcdef01234567 /pinned # buildkit",
        ], result.Target.History.Select(h => h.CreatedBy));
        Assert.Equal("[3/5] git source git@h:org/repo.git with .git", src.Inputs[1].Description.Name);
        Assert.Equal(3, src.Inputs[1].Description.Location!.Value.Line);
    }

    [Fact]
    public void Add_sources_that_are_no_git_repositories_stay_downloads_and_files()
    {
        // An http URL whose path does not end in .git is a download; github.com/… is a local path for ADD;
        // --keep-git-dir is ignored for them, as by BuildKit.
        var result = Convert("FROM busybox\nADD --keep-git-dir=true https://h/repo.git.tar.gz github.com/org/repo /x/\n");
        Assert.Equal(["https://h/repo.git.tar.gz", "github.com/org/repo"], Assert.IsType<AddOp>(result.Target.Fs.Op).Sources);
    }

    [Theory]
    [InlineData("ADD https://h/r.git?depth=1 /x", ErrorCode.DockerfileSyntax, "invalid git source https://h/r.git?depth=1: unexpected query \"depth\"")]
    [InlineData("ADD --keep-git-dir=false https://h/r.git?keep-git-dir=true /x", ErrorCode.DockerfileSyntax, "inconsistent keep-git-dir configuration")]
    [InlineData("ADD --checksum=abc https://h/r.git?checksum=def /x", ErrorCode.DockerfileSyntax, "checksum mismatch \"abc\" != \"def\"")]
    [InlineData("ADD https://h/r.git local.txt /x/", ErrorCode.UnsupportedInstruction, "ADD of a git repository together with other sources")]
    public void Add_git_errors_name_the_line(string instruction, ErrorCode code, string message)
    {
        var error = Assert.Throws<DockerfileException>(() => Convert($"FROM busybox\n{instruction}\n"));
        Assert.Equal((code, 2), (error.Code, error.Location.Line));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void No_cache_filter_marks_the_steps_of_that_stage_only()
    {
        Assert.Equal(
            $$"""
            #0 {"op":"image","reference":"docker.io/library/busybox:latest","manifest":"{{BusyboxManifest}}"}
            #1 {"op":"exec","args":["/bin/sh","-c","a"],"env":["PATH=/bin","HOME=/root"],"cwd":"/home","user":"","network":"Host","scripts":[],"privileged":false,"mounts":[],"proxyEnv":[]} <- #0 (no-cache)
            #2 {"op":"exec","args":["/bin/sh","-c","b"],"env":["PATH=/bin","HOME=/root"],"cwd":"/home","user":"","network":"Host","scripts":[],"privileged":false,"mounts":[],"proxyEnv":[]} <- #1

            """.ReplaceLineEndings("\n"),
            Graph("FROM busybox AS deps\nRUN a\nFROM deps\nRUN b\n", noCache: "deps"));
    }

    [Fact]
    public void Metadata_instructions_add_history_but_no_nodes()
    {
        var result = Convert("FROM busybox\nENV A=1\nLABEL l=v\nCMD [\"sh\"]\nEXPOSE 80\n");
        Assert.IsType<ImageOp>(result.Target.Fs.Op);
        Assert.Equal(["ENV A=1", "LABEL l=v", "CMD [\"sh\"]", "EXPOSE [80/tcp]"], result.Target.History.Select(h => h.CreatedBy));
        Assert.All(result.Target.History, h => Assert.Null(h.Layer));
    }

    [Fact]
    public void One_env_or_label_instruction_expands_every_word_against_the_environment_before_it()
    {
        // BuildKit expands the whole instruction before it applies it: B gets the old A, and keys are expanded too.
        var result = Convert("FROM busybox\nENV A=old K=key\nENV A=new B=$A ${K}2=$A\nLABEL A=$A C=$B\n");
        Assert.Equal(["ENV A=old K=key", "ENV A=new B=old key2=old", "LABEL A=new C=old"], result.Target.History.Select(h => h.CreatedBy));
        Assert.Equal(["PATH=/bin", "HOME=/root", "A=new", "K=key", "B=old", "key2=old"], result.Target.Config.Env);
    }

    [Fact]
    public void Steps_carry_their_location_and_progress_name()
    {
        var node = Convert("FROM busybox\n\nRUN   make all\n").Target.Fs;
        Assert.Equal("[2/2] RUN make all", node.Description.Name);
        Assert.Equal(3, node.Description.Location!.Value.Line);
        Assert.Equal("RUN   make all", node.Description.Instruction);
    }

    [Fact]
    public void Step_names_are_BuildKits_one_stage_unnamed_and_numbers_padded_to_the_total()
    {
        // BuildKit 0.32: "[ 2/11] RUN …" in a one-stage Dockerfile, even a named one; "[build 1/2] FROM …" with stages.
        var one = Convert("FROM busybox AS only\n" + string.Concat(Enumerable.Range(1, 10).Select(i => $"RUN echo {i}\n"))).Target.Fs;
        var names = new List<string>();
        for (var node = one; node is not null; node = node.Inputs.Count > 0 ? node.Inputs[0] : null) names.Add(node.Description.Name);
        Assert.Equal("[11/11] RUN echo 10", names[0]);
        Assert.Equal("[ 2/11] RUN echo 1", names[^2]);
        Assert.Equal("[ 1/11] FROM busybox", names[^1]);

        var two = Convert("FROM busybox AS build\nRUN a\nFROM busybox\nCOPY --from=build /a /a\n").Target.Fs;
        Assert.Equal("[stage-1 2/2] COPY --from=build /a /a", two.Description.Name);
        Assert.Equal("[stage-1 1/2] FROM busybox", two.Inputs[0].Description.Name);
    }

    [Fact]
    public void Image_errors_point_at_the_instruction()
    {
        var error = Assert.Throws<DockerfileException>(() => Convert("FROM busybox\nFROM nothere:1\n"));
        Assert.Equal((ErrorCode.ImageNotFound, 2), (error.Code, error.Location.Line));
        var copy = Assert.Throws<DockerfileException>(() => Convert("FROM busybox\nCOPY --from=biuld /a /a\n"));
        Assert.Equal(ErrorCode.UnknownStage, copy.Code);
        Assert.Contains("no stage named \"biuld\"", copy.Message);
    }

    [Fact]
    public void Op_definitions_round_trip_through_json()
    {
        var node = Convert("FROM busybox\nRUN <<EOF\nx\nEOF\nADD --chown=1:2 a /b\nCOPY --from=busybox /bin/sh /sh\n").Target.Fs;
        for (var n = node; n.Inputs.Count > 0; n = n.Inputs[0])
        {
            var json = JsonSerializer.Serialize(n.Op, FrontendJsonContext.Default.Op);
            Assert.Equal(json, JsonSerializer.Serialize(JsonSerializer.Deserialize(json, FrontendJsonContext.Default.Op), FrontendJsonContext.Default.Op));
        }
    }
}
