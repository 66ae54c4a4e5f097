using Sbuild.Parser;

namespace Sbuild.Frontend.Tests;

/// <summary>BuildKit's --mount syntax, one field at a time; errors name the mount and the instruction's line.</summary>
public sealed class RunMountParserTests
{
    private static readonly RunInstruction Run = (RunInstruction)InstructionBinder
        .Bind(DockerfileParser.Parse("FROM scratch\nRUN true\n", "Dockerfile"), new Dictionary<string, string>()).Stages[0].Instructions[0];

    private static RunMount Parse(string text, string workdir = "/work") =>
        RunMountParser.Parse(text, workdir, from => from == "builder" ? 1 : throw new InvalidOperationException(from), Run);

    [Fact]
    public void A_bind_is_read_only_from_the_context_by_default_and_its_target_follows_the_workdir()
    {
        Assert.Equal(new RunMount(RunMountType.Bind, "/work/src") { ReadOnly = true, Source = "" }, Parse("target=src"));
        Assert.Equal(new RunMount(RunMountType.Bind, "/mnt") { ReadOnly = false, Source = "go.mod", Input = 1 },
            Parse("type=bind,from=builder,source=/go.mod,dst=/mnt,rw"));
        Assert.Equal("etc/x", Parse("type=bind,src=../../etc/x,target=/t").Source); // cannot climb out of its root
    }

    [Fact]
    public void A_cache_is_writable_with_its_target_as_id_unless_told_otherwise()
    {
        var cache = Parse("type=cache,target=/root/.cache/go-build");
        Assert.Equal((false, "/root/.cache/go-build", CacheSharing.Shared, 0x1EDu, 0u, 0u, false),
            (cache.ReadOnly, cache.CacheId, cache.Sharing, cache.Mode, cache.Uid, cache.Gid, cache.CachePermissionsSet));
        var custom = Parse("type=cache,id=apt,target=/var/cache/apt,sharing=locked,mode=0700,uid=1000,gid=1000,readonly=true");
        Assert.Equal((true, "apt", CacheSharing.Locked, 0x1C0u, 1000u, 1000u, true),
            (custom.ReadOnly, custom.CacheId, custom.Sharing, custom.Mode, custom.Uid, custom.Gid, custom.CachePermissionsSet));
        Assert.True(Parse("type=cache,target=/c,gid=0").CachePermissionsSet); // even when it names the default
        var seeded = Parse("type=cache,target=/deps,from=builder,source=/out/../deps/");
        Assert.Equal((1, "deps"), (seeded.Input, seeded.Source));
        Assert.Equal(("sub", null), (Parse("type=cache,target=/c,source=sub").Source, Parse("type=cache,target=/c,source=sub").Input));
    }

    [Fact]
    public void A_tmpfs_takes_a_size_in_bytes() =>
        Assert.Equal(1048576, Parse("type=tmpfs,target=/tmp,size=1048576").Size);

    [Theory]
    [InlineData("type=cache", "target= is required")]
    [InlineData("type=volume,target=/x", "unknown mount type \"volume\"")]
    [InlineData("type=cache,target=/x,sharing=all", "sharing must be shared, private or locked")]
    [InlineData("type=cache,target=/x,mode=9", "mode=9 is not a valid number")]
    [InlineData("type=tmpfs,target=/x,size=1g", "size=1g is not a number of bytes")]
    [InlineData("type=secret", "id= or target= is required")]
    [InlineData("type=bind,target=/x,size=1", "unexpected key \"size\" for type=bind")]
    [InlineData("type=bind,target=/x,ro=maybe", "ro must be true or false")]
    public void Bad_mounts_are_syntax_errors_at_the_run(string text, string problem)
    {
        var error = Assert.Throws<DockerfileException>(() => Parse(text));
        Assert.Equal(2, error.Location.Line);
        Assert.Contains($"invalid --mount={text}: {problem}", error.Message);
    }

    [Fact]
    public void A_secret_goes_to_run_secrets_id_or_its_target_or_only_an_env_variable()
    {
        var plain = Parse("type=secret,id=npmrc");
        Assert.Equal(("/run/secrets/npmrc", "npmrc", null, false, 0x100u), (plain.Target, plain.SecretId, plain.SecretEnv, plain.Required, plain.Mode));
        Assert.Equal("token", Parse("type=secret,target=/etc/token,required").SecretId);
        Assert.True(Parse("type=secret,target=/etc/token,required").Required);
        var env = Parse("type=secret,id=gh,env=GITHUB_TOKEN");
        Assert.Equal(("", "GITHUB_TOKEN"), (env.Target, env.SecretEnv));
    }

    [Fact]
    public void An_ssh_mount_forwards_the_default_agent_at_buildkits_socket_path()
    {
        var ssh = RunMountParser.Parse("type=ssh", "/", _ => 0, Run, sshIndex: 1);
        Assert.Equal(("/run/buildkit/ssh_agent.1", "default", false, 0x180u), (ssh.Target, ssh.SecretId, ssh.Required, ssh.Mode));
        var deploy = Parse("type=ssh,id=deploy,target=/a.sock,required");
        Assert.Equal(("/a.sock", "deploy", true), (deploy.Target, deploy.SecretId, deploy.Required));
    }
}
