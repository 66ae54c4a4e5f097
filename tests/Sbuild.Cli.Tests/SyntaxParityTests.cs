using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// Every instruction and flag of docs/dockerfile-syntax.md, built by sbuild and by the reference BuildKit and compared
/// in full (layers, config, history, rootfs). Each Dockerfile groups several instructions and forms so the suite stays
/// short; what a RUN saw is written into files of the image, so the rootfs comparison covers it.
/// </summary>
[Collection(OracleCollection.Name)]
public sealed class SyntaxParityTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    private const string Tab = "\t";
    private readonly BuildKitParity _parity = new(sbuild);

    [Fact]
    public async Task From_platforms_scratch_and_stages_by_name_and_index_match_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            ARG BASE=busybox
            ARG TAG
            FROM --platform=$BUILDPLATFORM ${BASE}${TAG:+:$TAG} AS Builder
            ARG TARGETPLATFORM BUILDPLATFORM
            RUN echo "$BUILDPLATFORM $TARGETPLATFORM" > /platforms
            FROM --platform=linux/amd64 builder as middle
            RUN echo middle > /middle
            FROM scratch AS files
            COPY --from=builder /platforms /
            COPY --from=1 /middle /
            FROM busybox
            COPY --from=files / /all/
            COPY --from=0 /platforms /by-index
            """, buildArgs: new Dictionary<string, string> { ["TAG"] = "latest" });
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task A_scratch_image_gets_the_config_buildkit_gives_it()
    {
        var differences = await _parity.CompareAsync("""
            FROM scratch
            COPY a.txt /
            ENV GREETING=hi
            CMD ["/a.txt"]
            """, new Dictionary<string, string> { ["a.txt"] = "a\n" });
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Run_forms_network_security_and_history_prefixes_match_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox
            ARG A=1
            ARG B
            RUN echo "shell $A $B" > /shell
            RUN ["/bin/sh", "-c", "echo exec $A > /exec"]
            RUN ["touch", "/exec-direct"]
            RUN ["/bin/sh", "-c", "echo \u00e9\t\"q\" > /exec-json-escapes"]
            RUN --network=none cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' > /net-none
            RUN --network=default echo default > /net-default
            RUN --security=sandbox grep -E '^Cap(Eff|Bnd)' /proc/self/status > /caps
            RUN echo one \
                two \
              three > /continued
            SHELL ["/bin/sh", "-ec"]
            RUN echo "$0 $-" > /shell-flags
            ENV B=from-env
            RUN echo "$B" > /env-wins
            SHELL ["/bin/echo", "shell:"]
            RUN ignored words
            """, buildArgs: new Dictionary<string, string> { ["B"] = "bee" });
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Run_heredocs_match_buildkit()
    {
        var differences = await _parity.CompareAsync($$"""
            FROM busybox
            ARG WHO=arg
            RUN <<EOF
            echo "first $WHO" > /heredoc-plain
            echo second >> /heredoc-plain
            EOF
            RUN <<-EOF
            {{Tab}}echo tabs > /heredoc-tabs
            {{Tab}}{{Tab}}echo more >> /heredoc-tabs
            {{Tab}}EOF
            RUN <<EOF
            #!/bin/sh
            echo "script $0 $WHO" > /heredoc-script
            EOF
            RUN cat <<A > /two-a && cat <<B > /two-b
            alpha $WHO
            A
            beta
            B
            RUN <<'EOF'
            echo '$WHO' "$WHO" > /quoted
            EOF
            RUN sh -s <<EOF 3<<DATA
            cat <&3 > /fd3
            EOF
            data on fd 3
            DATA
            """);
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task The_escape_directive_and_line_continuations_match_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            # escape=`
            FROM busybox
            ENV WIN=C:\path\to
            RUN echo $WIN `
                continued `
              > /escaped
            COPY ["a b.txt", "/spaced/"]
            LABEL key=`$literal
            ENV DOLLAR=`$HOME QUOTED="a`"b"
            RUN echo "$DOLLAR $QUOTED" > /escaped-dollar
            """, new Dictionary<string, string> { ["a b.txt"] = "spaces\n" });
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Copy_destinations_wildcards_links_and_heredocs_match_buildkit()
    {
        using var context = new TempDirectory("sbuild-syntax-copy-");
        void Write(string path, string content)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(context.Combine(path))!);
            File.WriteAllText(context.Combine(path), content);
        }
        foreach (var name in new[] { "a.txt", "b.txt", "c.txt", "ab.md", "file with spaces.txt", "dir/y.txt", "dir/sub/x.txt", "lit*.txt", "q?.txt", "--weird-name" })
            Write(name, name + "\n");
        File.SetUnixFileMode(context.Combine("dir/sub/x.txt"), Modes.Octal("751"));
        File.SetUnixFileMode(context.Combine("dir/sub"), Modes.Octal("700"));
        File.CreateSymbolicLink(context.Combine("link-to-a"), "a.txt");
        Write("links/target.txt", "target\n");
        File.CreateSymbolicLink(context.Combine("links/relative"), "target.txt");
        File.CreateSymbolicLink(context.Combine("links/dangling"), "/nowhere");
        UnixFs.HardLink(context.Combine("links/target.txt"), context.Combine("links/hard.txt"));
        Write("hard1", "hard\n");
        UnixFs.HardLink(context.Combine("hard1"), context.Combine("hard2"));
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM busybox
            WORKDIR /work
            COPY a.txt rel/
            COPY a.txt rel-file
            COPY b.txt rel
            COPY ["file with spaces.txt", "/spaced dir/"]
            COPY -- --weird-name /after-double-dash
            COPY [ab].txt /class/
            COPY [^a]*.txt /negated/
            COPY [a-b]*.* /range/
            COPY lit\*.txt q\?.txt /escaped/
            COPY nothing-* /none/
            COPY dir /dir-no-slash
            COPY dir/ /dir-slash/
            COPY dir /etc/
            COPY a.txt /etc/passwd
            COPY a.txt /newdir/
            COPY a.txt /newdir/sub/
            COPY link-to-a /followed
            COPY links /links/
            COPY hard1 hard2 /hard/
            COPY --from=busybox /bin/busybox /etc/group /from-image/
            ENV WHO=env
            COPY <<EOF /inline.txt
            inline $WHO '$WHO' "$WHO" \$WHO ${NOPE:-"x"} it's
            EOF
            COPY <<"EOF" /inline-quoted.txt
            $WHO
            EOF
            COPY <<A <<B /inline-dir/
            first
            A
            second
            B
            """);
        using var build = await _parity.BuildContextAsync(context.Path);
        BuildKitParity.AssertSame(build.Differences);
        // What the rules above gave (so a rule that silently copies nothing on both sides is noticed).
        Assert.Equal(["lit*.txt", "q?.txt"], Directory.GetFileSystemEntries(Path.Combine(build.Actual.RootfsDir, "escaped")).Select(Path.GetFileName).Order());
        Assert.Equal("inline env 'env' \"env\" $WHO \"x\" it's\n", File.ReadAllText(Path.Combine(build.Actual.RootfsDir, "inline.txt")));
    }

    [Fact]
    public async Task Copy_chown_chmod_and_link_forms_match_buildkit()
    {
        using var context = new TempDirectory("sbuild-syntax-chmod-");
        Directory.CreateDirectory(context.Combine("dir", "sub"));
        File.WriteAllText(context.Combine("a.txt"), "a\n");
        File.WriteAllText(context.Combine("dir", "b.txt"), "b\n");
        File.WriteAllText(context.Combine("dir", "sub", "c.txt"), "c\n");
        File.WriteAllText(context.Combine("tool.sh"), "#!/bin/sh\n");
        File.SetUnixFileMode(context.Combine("tool.sh"), Modes.Octal("750"));
        File.SetUnixFileMode(context.Combine("dir", "sub"), Modes.Octal("700"));
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM busybox
            ARG OWNER=1234:5678
            ARG MODE=0751
            ARG EMPTY=
            RUN echo "usr:x:1500:2000::/home/usr:/bin/sh" >> /etc/passwd && echo "grp:x:2000:" >> /etc/group && mkdir /existing
            COPY --chown=usr a.txt /user-only
            COPY --chown=1500:grp a.txt /uid-and-group-name
            COPY --chown=usr:2000 a.txt /name-and-gid
            COPY --chown=$OWNER a.txt /expanded-owner
            COPY --chown=${OWNER%:*} dir /expanded-user-only/
            COPY --chown=$EMPTY --chmod=$EMPTY tool.sh /empty-flags
            COPY --chmod=$MODE a.txt /expanded-mode
            COPY --chmod=4755 a.txt /setuid
            COPY --chmod=1777 dir/ /existing/
            COPY --chmod=600 --chown=usr:grp dir /existing/owned/
            COPY --chmod=u+x,g-r a.txt /symbolic-file
            COPY --chmod=a=rX dir /symbolic-dir/
            COPY --chmod=go=u-w,+t tool.sh /symbolic-copy-class
            COPY --chmod=a-X tool.sh /symbolic-minus-x
            COPY --chmod=+x <<EOF /symbolic-heredoc
            #!/bin/sh
            EOF
            COPY --chmod=u+s,g+s --from=busybox /bin/busybox /symbolic-from-image
            COPY --link a.txt /linked/
            COPY --link dir /etc/linked-into-existing
            COPY --link=true --chown=1500:2000 a.txt /linked-owned
            COPY --link --chmod=640 --chown=usr:grp a.txt /linked-chmod-named-owner
            COPY --link=false a.txt /not-linked
            COPY --link --chmod=700 a.txt /linked-chmod
            COPY --from=busybox --link /bin/busybox /linked-from-image
            """);
        using var build = await _parity.BuildContextAsync(context.Path);
        // moby/buildkit#5943: the directory COPY --chmod=600 creates gets the mode 0600 in BuildKit.
        BuildKitParity.AssertSame(build.Differences, "/existing/owned: mode 0600 (buildkit) vs 0755 (sbuild)");
    }

    [Fact]
    public async Task Add_of_archives_in_every_compression_matches_buildkit()
    {
        using var archives = new TempDirectory("sbuild-syntax-add-");
        Directory.CreateDirectory(archives.Combine("pkg", "bin"));
        File.WriteAllText(archives.Combine("pkg", "bin", "tool"), "#!/bin/sh\necho tool\n");
        File.SetUnixFileMode(archives.Combine("pkg", "bin", "tool"), Modes.Octal("755"));
        File.WriteAllText(archives.Combine("pkg", "data.txt"), "data\n");
        UnixFs.HardLink(archives.Combine("pkg", "data.txt"), archives.Combine("pkg", "hardlink.txt"));
        File.CreateSymbolicLink(archives.Combine("pkg", "link"), "data.txt");
        UnixFs.LChown(archives.Combine("pkg", "data.txt"), 1234, 5678);
        var files = new Dictionary<string, string>();
        foreach (var (name, flag) in new[] { ("pkg.tar", ""), ("pkg.tar.gz", "-z"), ("pkg.tar.bz2", "-j"), ("pkg.tar.xz", "-J"), ("pkg.tar.zst", "--zstd") })
        {
            await ProcessRunner.RunAsync(Tools.Tar, [.. flag.Length > 0 ? new[] { flag } : [], "-cf", archives.Combine(name), "-C", archives.Path, "pkg"], CancellationToken.None);
            files[name] = archives.Combine(name);
        }
        // A gzip file that is no tar is copied as it is (BuildKit's unpack only takes tar streams).
        File.WriteAllText(archives.Combine("plain.txt"), "plain\n");
        await ProcessRunner.RunAsync(Tools.Gzip, ["-k", archives.Combine("plain.txt")], CancellationToken.None);
        files["plain.txt.gz"] = archives.Combine("plain.txt.gz");

        var differences = await _parity.CompareAsync("""
            FROM busybox
            ADD pkg.tar /tar/
            ADD pkg.tar.gz /gz
            ADD pkg.tar.bz2 /bz2/
            ADD pkg.tar.xz /xz/
            ADD pkg.tar.zst /zst/
            ADD plain.txt.gz /not-a-tar/
            ADD --unpack=false pkg.tar.gz /packed/
            ADD --unpack=true pkg.tar /unpacked-explicitly/
            ADD --chown=42:43 --chmod=600 pkg.tar /owned-and-moded/
            ADD --chmod=640 a.txt /moded.txt
            ADD --link pkg.tar.gz /linked/
            ADD --link a.txt /linked-file
            ADD a.txt pkg.tar /several/
            ADD *.txt /wildcard/
            ADD <<EOF /heredoc.tar
            not a tar $HOME
            EOF
            """, new Dictionary<string, string> { ["a.txt"] = "a\n" }, extraContextFiles: files);
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Add_of_urls_with_checksum_chmod_chown_and_unpack_matches_buildkit()
    {
        using var archives = new TempDirectory("sbuild-syntax-add-url-");
        Directory.CreateDirectory(archives.Combine("pkg"));
        File.WriteAllText(archives.Combine("pkg", "data.txt"), "data\n");
        await ProcessRunner.RunAsync(Tools.Tar, ["-czf", archives.Combine("pkg.tar.gz"), "-C", archives.Path, "pkg"], CancellationToken.None);
        var tool = "#!/bin/sh\necho remote\n"u8.ToArray();
        var modified = DateTimeOffset.FromUnixTimeSeconds(1600000000);
        using var server = new TestHttpServer()
            .Serve("/files/tool.sh", new TestResponse(200, tool, modified))
            .Serve("/files/pkg.tar.gz", new TestResponse(200, File.ReadAllBytes(archives.Combine("pkg.tar.gz")), modified))
            .Serve("/", new TestResponse(200, "index\n"u8.ToArray()));
        var checksum = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(tool));
        var differences = await _parity.CompareAsync($"""
            FROM busybox
            ARG SUM={checksum}
            ADD --checksum={checksum} {server.Url("/files/tool.sh")} /checked/
            ADD --checksum=$SUM {server.Url("/files/tool.sh")} /checked-arg.sh
            ADD --chmod=755 --chown=7:8 {server.Url("/files/tool.sh")} /moded/
            ADD --chmod=u+x,go+r {server.Url("/files/tool.sh")} /symbolic.sh
            ADD {server.Url("/files/pkg.tar.gz")} /url-archive-kept/
            ADD --unpack=true {server.Url("/files/pkg.tar.gz")} /url-archive-unpacked/
            ADD {server.Url("/")} /index/
            ADD --link {server.Url("/files/tool.sh")} /linked.sh
            """);
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Env_label_and_maintainer_forms_match_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox
            MAINTAINER Jane Doe <jane@example.com>
            ENV OLD form with  spaces
            ENV A=one
            ENV A=new B=$A C="${A}-quoted" D='single $A' E=esc\ aped
            ENV PATH=$PATH:/extra G=${UNSET:-fallback} H=${A:+set}
            ENV OLD2 $A and ${B}
            LABEL multi.a=1 multi.b="two words" "quoted key"=v 'single key'='v 2'
            LABEL expanded=$A-${B:-x} single='$A' escaped=\$A
            LABEL description="line one \
            line two"
            LABEL multi.a=overridden
            # Only the variables set here: BuildKit's RUN also sees tracing variables (OTEL_*, TRACEPARENT) of its own.
            RUN env | grep -E '^(A|B|C|D|E|G|H|OLD|OLD2|PATH)=' | sort > /env.txt
            """);
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Arg_defaults_overrides_unset_and_reuse_across_stages_match_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            ARG GLOBAL=g
            ARG OVERRIDDEN=default
            ARG EMPTY=
            ARG NODEFAULT
            ARG DERIVED=${GLOBAL}-derived
            FROM busybox AS one
            ARG GLOBAL
            ARG OVERRIDDEN
            ARG EMPTY
            ARG NODEFAULT
            ARG DERIVED
            ARG LOCAL=${GLOBAL}-local LOCAL2=$OVERRIDDEN
            RUN echo "$GLOBAL|$OVERRIDDEN|$EMPTY|${NODEFAULT-unset}|$DERIVED|$LOCAL|$LOCAL2" > /one
            FROM one AS two
            ARG LOCAL
            ARG LOCAL=redefined
            RUN echo "$LOCAL|$GLOBAL" > /two
            FROM busybox
            ARG LOCAL
            ARG GLOBAL=stage-default
            ARG NOT_GIVEN
            ENV FROM_ARG=$GLOBAL
            RUN echo "${LOCAL-unset}|$GLOBAL|${NOT_GIVEN-unset}" > /three
            COPY --from=two /one /two /
            """, buildArgs: new Dictionary<string, string> { ["OVERRIDDEN"] = "given", ["NOT_DECLARED"] = "x" });
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task User_and_workdir_forms_match_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox
            ENV BASE=/srv
            WORKDIR /abs
            WORKDIR rel
            WORKDIR ../up/
            WORKDIR /trailing/
            WORKDIR $BASE/app
            RUN pwd > /cwd-env
            WORKDIR /
            RUN pwd > /cwd-root
            USER nobody
            WORKDIR /made-by-nobody/sub
            USER 1000
            WORKDIR /made-by-uid
            USER 1000:1000
            WORKDIR /made-by-uid-gid
            RUN id > /tmp/id-uid-gid
            ENV WHO=daemon
            USER $WHO:nogroup
            RUN id > /tmp/id-names
            USER root
            RUN id > /id-root
            """);
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Volume_expose_stopsignal_and_healthcheck_forms_match_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox AS base
            HEALTHCHECK --interval=1m30s --timeout=10s --start-period=5s --start-interval=2s --retries=4 CMD ["wget", "-q", "localhost"]
            STOPSIGNAL 9
            FROM base
            ENV P=9000 V=/vol
            VOLUME ["/json1", "/json2"]
            VOLUME /w1 /w2 $V
            VOLUME /data
            RUN mkdir -p /data /w1 && echo kept > /data/file && echo kept > /w1/file
            EXPOSE 80/tcp 53/udp 7000-7002/udp $P 8080/TCP 443
            EXPOSE ${P}/udp
            STOPSIGNAL --ignored=flag SIGTERM
            ARG --ignored=flag FLAGGED=v
            LABEL flagged=$FLAGGED
            HEALTHCHECK --timeout=3s CMD wget -q localhost || exit 1
            HEALTHCHECK --interval=9s NONE
            """);
        BuildKitParity.AssertSame(differences);
    }

    [Theory]
    [InlineData("keeps")]
    [InlineData("clears")]
    [InlineData("final")]
    public async Task Cmd_and_entrypoint_forms_and_inheritance_match_buildkit(string target)
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox AS base
            CMD ["base-cmd"]
            ENTRYPOINT ["base-entry"]
            FROM base AS keeps
            CMD echo shell form
            ENTRYPOINT ["/bin/echo"]
            FROM base AS clears
            SHELL ["/bin/sh", "-xc"]
            ENTRYPOINT exec echo shell-form entrypoint
            FROM clears AS final
            CMD []
            ENTRYPOINT []
            CMD ["last", "wins"]
            """, target: target);
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Onbuild_from_an_earlier_stage_with_copy_from_matches_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox AS src
            RUN echo from-src > /src.txt
            FROM busybox AS parent
            ONBUILD COPY --from=src /src.txt /onbuild-copied
            ONBUILD RUN echo ran > /onbuild-ran
            ONBUILD ENV TRIGGERED=1
            ONBUILD COPY a.txt /from-context
            FROM parent
            RUN cat /onbuild-ran > /seen && echo "$TRIGGERED" >> /seen
            ONBUILD RUN <<EOF
            echo heredoc trigger
            EOF
            ONBUILD COPY --chown=1:1 a.txt /later
            """, new Dictionary<string, string> { ["a.txt"] = "a\n" });
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Onbuild_copy_from_in_a_base_image_matches_buildkit()
    {
        await _parity.AddBaseImageAsync("onbuild-copy-base:1", "FROM busybox\nONBUILD COPY --from=busybox /bin/busybox /copied-by-trigger\nONBUILD ARG TRIGGER_ARG=t\nONBUILD RUN echo \"$TRIGGER_ARG\" > /trigger-arg\n");
        var differences = await _parity.CompareAsync("""
            FROM onbuild-copy-base:1
            RUN ls -l /copied-by-trigger | cut -c1-10 > /seen
            """);
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Line_structure_bom_crlf_comments_and_continuations_match_buildkit()
    {
        // A byte-order mark, parser directives, CRLF line ends, lower-case and indented keywords, a comment and an
        // empty line inside a continuation, a tab between ENV pairs.
        var dockerfile = "\uFEFF# escape=\\\r\n# check=skip=all\r\n\r\nfrom busybox\r\n  run echo one \\\r\n# a comment inside\r\n\r\n    two > /joined\r\n"
            + "Label a=1 \\\r\n  b=2\r\nENV X=1\tY=2\r\nrun echo \"$X $Y\" > /tabs\r\n";
        var differences = await _parity.CompareAsync(dockerfile);
        BuildKitParity.AssertSame(differences);
    }

    // The shared oracle daemon grants no entitlements: these builds go to a second reference daemon that allows them
    // (BuildKitOracle), and sbuild gets the same --allow.
    [Fact]
    public async Task Run_network_host_and_security_insecure_match_buildkit_with_the_entitlements()
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox
            RUN --network=host echo host > /net.txt
            RUN --security=insecure grep -E '^Cap(Eff|Bnd)' /proc/self/status > /caps.txt \
             && mkdir /m && (mount -t tmpfs none /m && echo mounted || echo refused) > /mount.txt
            RUN --security=sandbox grep -E '^Cap(Eff|Bnd)' /proc/self/status > /caps-sandbox.txt \
             && mkdir /n && (mount -t tmpfs none /n 2>/dev/null && echo mounted || echo refused) > /mount-sandbox.txt
            """, allow: ["network.host", "security.insecure"]);
        BuildKitParity.AssertSame(differences);
    }
}
