using Sbuild.Core;
using Sbuild.Frontend;

namespace Sbuild.Engine.Tests;

public sealed class CacheKeysTests
{
    private static readonly Digest Parent = Digest.Of("parent"u8);
    private static readonly ExecOp Exec = new(["/bin/sh", "-c", "make"], ["PATH=/bin"], "/src", "", NetworkMode.None);

    [Fact]
    public void Every_field_of_the_op_and_every_input_changes_the_key()
    {
        var key = CacheKeys.Of(Exec, [Parent]);
        Assert.Equal(key, CacheKeys.Of(Exec with { }, [Parent]));
        Assert.NotEqual(key, CacheKeys.Of(Exec with { Args = ["/bin/sh", "-c", "make all"] }, [Parent]));
        Assert.NotEqual(key, CacheKeys.Of(Exec with { Env = ["PATH=/usr/bin"] }, [Parent]));
        Assert.NotEqual(key, CacheKeys.Of(Exec with { Cwd = "/" }, [Parent]));
        Assert.NotEqual(key, CacheKeys.Of(Exec with { User = "app" }, [Parent]));
        Assert.NotEqual(key, CacheKeys.Of(Exec with { Network = NetworkMode.Host }, [Parent]));
        Assert.NotEqual(key, CacheKeys.Of(Exec with { Scripts = [new InlineFile("EOF", "x")] }, [Parent]));
        Assert.NotEqual(key, CacheKeys.Of(Exec, [Digest.Of("other parent"u8)]));
        Assert.NotEqual(key, CacheKeys.Of(Exec, [Parent], [Digest.Of("content"u8)]));
        Assert.NotEqual(key, CacheKeys.Of(new MkdirOp("/src", ""), [Parent]));
    }

    [Fact]
    public void Proxy_variables_and_the_name_an_image_was_found_by_stay_out_of_the_key()
    {
        Assert.Equal(CacheKeys.Of(Exec, [Parent]), CacheKeys.Of(Exec with { ProxyEnv = ["HTTP_PROXY=http://p:3128"] }, [Parent]));
        var manifest = Digest.Of("manifest"u8);
        Assert.Equal(CacheKeys.Of(new ImageOp("docker.io/library/busybox:latest", manifest), []),
            CacheKeys.Of(new ImageOp("127.0.0.1:5000/busybox:1", manifest), []));
        Assert.NotEqual(CacheKeys.Of(new ImageOp("docker.io/library/busybox:latest", manifest), []),
            CacheKeys.Of(new ImageOp("docker.io/library/busybox:latest", Digest.Of("other"u8)), []));
    }

    [Fact]
    public void Copy_ops_differ_by_source_kind_and_ownership()
    {
        var copy = new CopyOp(CopySource.Context, ["a"], "/a", null, null);
        var key = CacheKeys.Of(copy, [Parent]);
        Assert.NotEqual(key, CacheKeys.Of(copy with { From = CopySource.Input }, [Parent]));
        Assert.NotEqual(key, CacheKeys.Of(copy with { Chown = "1:1" }, [Parent]));
        Assert.NotEqual(key, CacheKeys.Of(copy with { Chmod = "755" }, [Parent]));
        Assert.NotEqual(key, CacheKeys.Of(copy with { Destination = "/b" }, [Parent]));
    }
}
