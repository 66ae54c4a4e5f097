using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>Each instruction's effect on the image, checked against the reference BuildKit with the same Dockerfile.</summary>
[Collection(OracleCollection.Name)]
public sealed class InstructionParityTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    private readonly BuildKitParity _parity = new(sbuild);

    [Fact]
    public async Task Metadata_instructions_fill_the_config_like_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox
            LABEL base.label=one
            FROM busybox
            EXPOSE 80 53/udp 8000-8001
            VOLUME /data ["/logs", "/cache"]
            STOPSIGNAL SIGQUIT
            HEALTHCHECK --interval=5s --timeout=2s --retries=3 CMD wget -q localhost
            ONBUILD RUN echo child
            SHELL ["/bin/sh", "-xc"]
            ENV A=1 B="two words"
            ENV C $A-$B
            LABEL "quoted key"="v" plain=$A
            USER 1000
            WORKDIR relative/dir
            WORKDIR /abs
            ENTRYPOINT echo entry
            """);
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Cmd_and_entrypoint_inheritance_matches_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox AS base
            CMD ["base-cmd"]
            ENTRYPOINT ["base-entry"]
            FROM base
            ENTRYPOINT ["/bin/echo"]
            """);
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Arg_scoping_build_args_and_platform_args_match_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            ARG BASE=busybox
            ARG GLOBAL=global-default
            FROM $BASE
            ARG GLOBAL
            ARG A=a-default
            ARG TARGETARCH
            ARG TARGETPLATFORM
            ARG B
            ARG UNSET
            ENV FROM_ENV=$A-$B
            ENV A=env-wins
            RUN echo "$GLOBAL|$A|$TARGETARCH|$TARGETPLATFORM|$B|${UNSET:-unset}|$FROM_ENV|$http_proxy" > /args.txt
            LABEL arg=$B
            """, buildArgs: new Dictionary<string, string> { ["B"] = "bee", ["http_proxy"] = "http://proxy.invalid:3128" });
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Dockerignore_rules_hide_context_files_like_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox
            COPY . /ctx/
            COPY *.md /docs/
            """, new Dictionary<string, string>
        {
            [".dockerignore"] = "# build outputs\n*.log\nbuild/\n**/secret*\n!build/keep.txt\ndocs/*.md\n!docs/README.md\n",
            ["app.txt"] = "app\n",
            ["debug.log"] = "log\n",
            ["build/out.bin"] = "bin\n",
            ["build/keep.txt"] = "keep\n",
            ["src/secret.key"] = "k\n",
            ["src/main.c"] = "int main;\n",
            ["docs/README.md"] = "readme\n",
            ["docs/other.md"] = "other\n",
            ["NOTES.md"] = "notes\n",
        });
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Onbuild_triggers_of_the_base_image_run_in_the_child_like_buildkit()
    {
        await _parity.AddBaseImageAsync("onbuild-base:1", "FROM busybox\nONBUILD RUN echo triggered > /triggered.txt\nONBUILD ENV FROM_TRIGGER=yes\n");
        var differences = await _parity.CompareAsync("""
            FROM onbuild-base:1
            RUN cat /triggered.txt > /seen.txt && echo "$FROM_TRIGGER" >> /seen.txt
            """);
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Run_as_a_user_gets_the_groups_buildkit_gives()
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox
            RUN echo "app:x:1500:2000::/home/app:/bin/sh" >> /etc/passwd && echo "appgrp:x:2000:" >> /etc/group \
                && echo "extra:x:2100:other,app" >> /etc/group && echo "more:x:2200:app" >> /etc/group
            USER app
            RUN id > /tmp/named && cat /proc/self/status | grep -E '^(Uid|Gid|Groups):' >> /tmp/named
            USER app:extra
            RUN id > /tmp/with-group
            USER 1500
            RUN id > /tmp/numeric
            """);
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Steps_that_change_nothing_still_add_their_layer_like_buildkit()
    {
        // RUN, COPY and WORKDIR each add a layer even when empty; a wildcard matching nothing copies nothing and makes
        // no destination; WORKDIR / adds no layer at all.
        var differences = await _parity.CompareAsync("""
            FROM busybox
            RUN true
            WORKDIR /etc
            COPY nomatch* /never/
            COPY [ab]*.txt /classes/
            WORKDIR /
            """, new Dictionary<string, string> { ["a1.txt"] = "a\n", ["c1.txt"] = "c\n" });
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Copy_chown_and_chmod_match_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox
            RUN echo "usr:x:1500:2000::/home/usr:/bin/sh" >> /etc/passwd && echo "grp:x:2000:" >> /etc/group
            COPY --chown=usr:grp a.txt /owned/deep/a.txt
            COPY --chown=1234 a.txt /numeric/
            COPY --chown=usr dir/ /named/
            COPY --chown=1500:2000 --chmod=640 a.txt /both/
            """, new Dictionary<string, string> { ["a.txt"] = "a\n", ["dir/b.txt"] = "b\n", ["dir/sub/c.txt"] = "c\n" });
        // moby/buildkit#5943: BuildKit gives the directory COPY --chmod creates the file's mode; sbuild makes it 0755.
        BuildKitParity.AssertSame(differences, "/both: mode 0640 (buildkit) vs 0755 (sbuild)");
    }

    [Fact]
    public async Task Add_of_a_url_downloads_it_like_buildkit()
    {
        using var server = new TestHttpServer()
            .Serve("/files/tool.sh", new TestResponse(200, "#!/bin/sh\necho remote\n"u8.ToArray(), DateTimeOffset.FromUnixTimeSeconds(1600000000)));
        var differences = await _parity.CompareAsync($"""
            FROM busybox
            ADD {server.Url("/files/tool.sh")} /remote/
            ADD {server.Url("/files/tool.sh")} /renamed.sh
            """);
        BuildKitParity.AssertSame(differences);
    }
}
