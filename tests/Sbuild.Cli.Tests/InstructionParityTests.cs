using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>Each instruction's effect on the image, checked against Docker BuildKit with the same Dockerfile.</summary>
[Collection(DockerCollection.Name)]
public sealed class InstructionParityTests(SbuildCli sbuild, DockerDaemon docker) : IClassFixture<SbuildCli>, IClassFixture<DockerDaemon>
{
    private readonly BuildKitParity _parity = new(sbuild, docker);

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
        Assert.Empty(differences);
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
        Assert.Empty(differences);
    }
}
