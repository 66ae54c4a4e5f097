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
        foreach (var name in new[] { "a.txt", "b.txt", "c.txt", "ab.md", "file with spaces.txt", "dir/y.txt", "dir/sub/x.txt", "lit*.txt", "q?.txt" })
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
}
