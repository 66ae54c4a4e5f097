using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// <c>COPY --parents</c>, <c>COPY/ADD --exclude</c>, <c>--chmod</c> forms and copies over existing directories, checked against the reference
/// BuildKit with the same Dockerfile and context (the full comparison: files, modes, owners, times, config, history).
/// </summary>
[Collection(OracleCollection.Name)]
public sealed class CopyFlagParityTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    private readonly BuildKitParity _parity = new(sbuild);

    // The tree of BuildKit's own exclude test (frontend/dockerfile/exclude_patterns_test.go), plus nested levels.
    private static Dictionary<string, string> Tree() => new()
    {
        ["dir1/file-101.png"] = "2", ["dir1/file-102.txt"] = "3", ["dir1/file-103.jpeg"] = "4",
        ["dir2/file-201.pdf"] = "6", ["dir2/file-202.jpeg"] = "7", ["dir2/file-203.png"] = "8",
        ["dir3/file-301.mp3"] = "9", ["dir3/file-302.mpeg"] = "10",
        ["dir4/file-401.txt"] = "11", ["dir4/deep/er/x.txt"] = "12", ["dir4/deep/er/y.md"] = "13",
        ["a.txt"] = "a", ["b.txt"] = "b", ["c.md"] = "c",
    };

    [Fact]
    public async Task Exclude_leaves_out_matches_below_each_source_like_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox
            COPY --exclude=*/*.png --exclude=*/*.jpeg . /1
            COPY --exclude=*/*.pdf --exclude=*/*.txt . /2
            ADD --exclude=*.mp3 dir3/ /3/
            COPY --exclude=*.mp3 --exclude=*.jpeg --exclude=*.png --exclude=*.pdf --exclude=*.txt dir* /4/
            ADD --exclude=* dir* /6
            COPY --exclude=b.txt *.txt /7/
            COPY --exclude=dir4/deep --exclude=!dir4/deep/er/x.txt --exclude=**/*.md . /8/
            COPY --exclude=deep dir4 /9/
            """, Tree());
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Parents_keep_the_source_directories_like_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox AS src
            RUN mkdir -p /s/x/y/z /s/q && echo one > /s/x/y/z/1.txt && echo two > /s/x/y/2.md && echo three > /s/q/3.txt \
             && chmod 0700 /s/x && chown 7:8 /s/x/y && touch -d "2001-02-03 04:05:06" /s/x/y /s/x
            FROM busybox
            COPY --parents dir1/*.txt dir4/deep/er/x.txt /p1/
            COPY --parents ./dir4/./deep/**/*.md /p2/
            COPY --parents dir*/file-2* /p3
            COPY --from=src --parents /s/x/y/z/1.txt /s/q /p4/
            COPY --from=src --parents /s/./x/**/*.md /p5/
            COPY --parents --chmod=0750 --chown=5:6 dir4/deep /p6/
            WORKDIR /w
            COPY --parents --exclude=*.md dir4 rel/
            """, Tree());
        // moby/buildkit#5943: BuildKit gives the directory COPY --chmod creates the file's mode; sbuild makes it 0755.
        BuildKitParity.AssertSame(differences, "/p6: mode 0750 (buildkit) vs 0755 (sbuild)");
    }

    [Fact]
    public async Task A_copy_over_existing_directories_gives_them_the_source_metadata_like_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox AS src
            RUN mkdir -p /t/etc/sub/inner && echo a > /t/etc/sub/inner/a && chmod 0700 /t/etc/sub && chown 3:4 /t/etc/sub/inner \
             && touch -d "2002-03-04 05:06:07" /t/etc/sub/inner /t/etc/sub /t/etc
            FROM busybox
            RUN mkdir -p /etc/sub/inner /dest/sub && chmod 0755 /etc/sub && chown 9:9 /etc/sub/inner && touch -d "2010-01-01 00:00:00" /dest /dest/sub
            COPY --from=src /t/etc/ /etc/
            COPY --from=src /t/etc/ /dest/
            """);
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Symbolic_expanded_and_empty_chmod_match_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox AS src
            RUN mkdir -p /t/bin /t/etc && echo x > /t/bin/tool && chmod 0750 /t/bin/tool && echo c > /t/etc/conf && chmod 0604 /t/etc/conf
            FROM busybox
            ARG MODE=0640
            ARG EMPTY
            COPY --from=src --chmod=a+X,g-w /t/ /sym/
            COPY --from=src --chmod=u=rwx,go=u-w /t/ /sym2/
            COPY --chmod=+x run.sh /bin/
            COPY --chmod=$MODE run.sh /arg.sh
            COPY --chmod=$EMPTY run.sh /empty.sh
            COPY --chmod=o+w <<EOF /inline.txt
            inline
            EOF
            """, new Dictionary<string, string> { ["run.sh"] = "#!/bin/sh\necho run\n" });
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Here_documents_mixed_with_other_sources_match_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox AS src
            RUN mkdir /s && echo s > /s/x.txt && chown 5:6 /s/x.txt
            FROM busybox
            COPY a.txt <<one <<two /d/
            1
            one
            2
            two
            COPY --from=src --chmod=640 /s/x.txt <<three /e/
            3
            three
            ADD --chown=7:8 a.txt <<four /f/
            4
            four
            """, new Dictionary<string, string> { ["a.txt"] = "a\n" });
        // moby/buildkit#5943: BuildKit gives the directory COPY --chmod creates the file's mode; sbuild makes it 0755.
        BuildKitParity.AssertSame(differences, "/e: mode 0640 (buildkit) vs 0755 (sbuild)");
    }

    [Fact]
    public async Task A_missing_path_under_parents_is_an_error_and_a_wildcard_is_not()
    {
        using var context = new TempDirectory("sbuild-parents-");
        {
            File.WriteAllText(context.Combine("Dockerfile"), "FROM scratch\nCOPY --parents nope/none.txt /d/\n");
            var missing = await sbuild.RunAsync(["build", "--no-cache", "-t", "parents-missing:1", context.Path], allowFailure: true);
            Assert.NotEqual(0, missing.ExitCode);
            Assert.Contains("nope/none.txt", missing.StandardError);
            Assert.Contains("Dockerfile:2", missing.StandardError);

            File.WriteAllText(context.Combine("Dockerfile"), "FROM scratch\nCOPY --parents nope/*.txt /d/\nCOPY --exclude=[ Dockerfile /e/\n");
            var badPattern = await sbuild.RunAsync(["build", "--no-cache", "-t", "parents-missing:2", context.Path], allowFailure: true);
            Assert.NotEqual(0, badPattern.ExitCode);
            Assert.Contains("Dockerfile:3", badPattern.StandardError);
            Assert.Contains("syntax error in pattern", badPattern.StandardError);
        }
    }
}
