using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// RUN --mount (cache, bind, tmpfs, secret) against the reference BuildKit: what each RUN saw (written into files of
/// the image), what the mounts leave in the rootfs (mount points, parent directories and their times), the config, the
/// history and the layers must be identical. Cache ids are new for each test run, so neither builder sees what an
/// earlier run left in a cache.
/// </summary>
[Collection(OracleCollection.Name)]
public sealed class RunMountParityTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    private readonly BuildKitParity _parity = new(sbuild);
    private readonly string _run = Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Cache_mounts_match_buildkit_and_their_contents_stay_out_of_the_image()
    {
        using var build = await _parity.BuildAsync($"""
            FROM busybox
            RUN --mount=type=cache,id=app-{_run},target=/var/cache/app,mode=0750,uid=7,gid=8 echo cache-only-{_run} > /var/cache/app/marker && stat -c '%u:%g %a' /var/cache/app > /cache-owner
            RUN --mount=type=cache,id=app-{_run},target=/root/.cache,mode=0750,uid=7,gid=8,sharing=locked wc -c < /root/.cache/marker > /same-permissions-share
            RUN --mount=type=cache,id=app-{_run},target=/root/.cache ls -a /root/.cache > /other-permissions-do-not && stat -c '%u:%g %a' /root/.cache >> /other-permissions-do-not
            RUN --mount=type=cache,id=private-{_run},target=/tmp/c,sharing=private touch /tmp/c/x && stat -c '%u:%g %a' /tmp/c > /private-owner
            RUN --mount=type=cache,id=shared-{_run},target=/etc/cached,sharing=shared,ro ls -a /etc/cached > /ro-listing && stat -c '%a' /etc/cached >> /ro-listing
            """);
        BuildKitParity.AssertSame(build.Differences);
        Assert.Equal("7:8 750\n", File.ReadAllText(Path.Combine(build.Actual.RootfsDir, "cache-owner")));
        // A cache is keyed by its id and the permissions it sets: only the mount with the same ones saw the marker.
        Assert.Equal($"{$"cache-only-{_run}".Length + 1}\n", File.ReadAllText(Path.Combine(build.Actual.RootfsDir, "same-permissions-share")));
        Assert.Equal(".\n..\n0:0 755\n", File.ReadAllText(Path.Combine(build.Actual.RootfsDir, "other-permissions-do-not")));
        // The marker is in the RUN's command, so in the config's history; no layer may hold it.
        Assert.Equal(["config"], build.Expected.FindText($"cache-only-{_run}"));
        Assert.Equal(["config"], build.Actual.FindText($"cache-only-{_run}"));
    }

    [Fact]
    public async Task Bind_mounts_of_the_context_a_stage_and_an_image_match_buildkit()
    {
        using var build = await _parity.BuildAsync("""
            FROM busybox AS tools
            RUN mkdir /out && echo tool > /out/tool && chmod 0751 /out/tool
            FROM busybox
            RUN --mount=type=bind,source=config.txt,target=/mnt/config.txt cat /mnt/config.txt > /config-copy
            RUN --mount=type=bind,source=sub,target=/etc/sub stat -c '%n %s %a %u:%g' /etc/sub/* > /sub-listing
            RUN --mount=from=tools,source=/out,target=/tools cat /tools/tool > /tool-copy && stat -c '%a %u:%g' /tools /tools/tool >> /tool-copy
            RUN --mount=type=bind,from=busybox,source=/etc,target=/base-etc cat /base-etc/group > /group-copy
            RUN --mount=type=bind,target=/ctx,rw rm /ctx/config.txt && touch /ctx/new && ls /ctx > /listing && stat -c '%a %u:%g' /ctx >> /listing
            RUN --mount=type=bind,target=/ctx ls /ctx > /listing-after-rw
            """, new Dictionary<string, string>
        {
            ["config.txt"] = "from the context\n",
            ["sub/one.txt"] = "1\n",
            ["sub/two.txt"] = "22\n",
        });
        BuildKitParity.AssertSame(build.Differences);
        // The writable bind was a copy: the next RUN sees the context as it is.
        Assert.Contains("config.txt", File.ReadAllText(Path.Combine(build.Actual.RootfsDir, "listing-after-rw")));
        Assert.DoesNotContain("new", File.ReadAllText(Path.Combine(build.Actual.RootfsDir, "listing-after-rw")));
    }

    [Fact]
    public async Task Tmpfs_mounts_match_buildkit()
    {
        var differences = await _parity.CompareAsync("""
            FROM busybox
            RUN --mount=type=tmpfs,target=/scratch,size=65536 echo temp > /scratch/t && cat /scratch/t > /tmpfs-copy && stat -c '%a %u:%g' /scratch >> /tmpfs-copy && df -k /scratch | tail -1 | awk '{print $2}' >> /tmpfs-copy
            RUN --mount=type=tmpfs,target=/tmp echo hidden > /tmp/x && ls -a /tmp > /tmp-listing
            RUN --mount=type=tmpfs,target=/new/dir/deep touch /new/dir/deep/f && ls -a /new/dir/deep > /deep-listing
            """);
        BuildKitParity.AssertSame(differences);
    }

    [Fact]
    public async Task Secret_mounts_as_files_and_env_match_buildkit_and_the_value_is_nowhere_in_the_image()
    {
        var value = $"s3cr3t-{_run}";
        using var build = await _parity.BuildAsync("""
            FROM busybox
            RUN --mount=type=secret,id=token wc -c < /run/secrets/token > /token-length && stat -c '%a %u:%g' /run/secrets/token > /token-stat
            RUN --mount=type=secret,id=token,target=/etc/app/token,mode=0440,uid=7,gid=8 stat -c '%a %u:%g' /etc/app/token > /custom-stat
            RUN --mount=type=secret,id=token,env=TOKEN echo ${#TOKEN} > /env-length
            RUN --mount=type=secret,id=token,env=TOKEN,target=/both cat /both | wc -c > /both-length && echo ${#TOKEN} >> /both-length
            RUN --mount=type=secret,id=not-given ls /run/secrets > /optional-listing 2>&1 || echo none > /optional-listing
            """, secrets: new Dictionary<string, string> { ["token"] = value });
        BuildKitParity.AssertSame(build.Differences);
        Assert.Equal($"{value.Length}\n", File.ReadAllText(Path.Combine(build.Actual.RootfsDir, "env-length")));
        Assert.Empty(build.Expected.FindText(value));
        Assert.Empty(build.Actual.FindText(value));
    }

    [Fact]
    public async Task A_run_with_several_mounts_matches_buildkit()
    {
        var value = $"combined-{_run}";
        using var build = await _parity.BuildAsync($"""
            FROM busybox AS stage
            RUN echo staged > /staged
            FROM busybox
            RUN --mount=type=cache,id=combined-{_run},target=/in/cache --mount=type=bind,source=a.txt,target=/in/a.txt --mount=type=tmpfs,target=/work --mount=type=secret,id=s,target=/in/s --mount=from=stage,source=/staged,target=/in/staged cat /in/a.txt /in/s /in/staged > /work/all && wc -c < /work/all > /combined && ls /in >> /combined
            """, new Dictionary<string, string> { ["a.txt"] = "a\n" }, secrets: new Dictionary<string, string> { ["s"] = value });
        BuildKitParity.AssertSame(build.Differences);
        Assert.Empty(build.Actual.FindText(value));
    }
}
