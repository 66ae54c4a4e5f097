using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// Here-documents (Dockerfile syntax 1.4+). Docker 20.10's built-in BuildKit predates them, so instead of the oracle
/// these tests check the documented BuildKit behaviour directly in the built root filesystem.
/// </summary>
public sealed class HeredocTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    private const string Dockerfile = """
        FROM busybox
        COPY <<EOF /etc/greeting
        hello "world"
        EOF
        COPY <<one <<two /etc/multi/
        first
        one
        second
        two
        RUN <<EOT
        echo from-script > /script.txt
        id -u >> /script.txt
        EOT
        RUN cat <<A > /a.txt && cat <<-"B" > /b.txt
        a1 $HOSTNAME
        A
        	b1
        	B
        RUN <<EOT
        #!/bin/sh -e
        echo "shebang $0" > /shebang.txt
        EOT
        """;

    [Fact]
    public async Task Run_and_copy_heredocs_produce_the_files_buildkit_documents()
    {
        using var context = new TempDirectory("sbuild-heredoc-");
        File.WriteAllText(context.Combine("Dockerfile"), Dockerfile);
        var built = await sbuild.RunAsync(["-t", "heredoc:1", context.Path]);
        var rootfs = await Unpack(Digest.Parse(built.StandardOutput.Trim()));

        Assert.Equal("hello \"world\"\n", File.ReadAllText(Path.Combine(rootfs.Path, "etc", "greeting")));
        Assert.Equal(Convert.ToInt32("644", 8), UnixFs.LStat(Path.Combine(rootfs.Path, "etc", "greeting")).Permissions);
        Assert.Equal("first\n", File.ReadAllText(Path.Combine(rootfs.Path, "etc", "multi", "one")));
        Assert.Equal("second\n", File.ReadAllText(Path.Combine(rootfs.Path, "etc", "multi", "two")));
        // A lone heredoc is a script run by the shell; the build's default user is root.
        Assert.Equal("from-script\n0\n", File.ReadAllText(Path.Combine(rootfs.Path, "script.txt")));
        // Heredocs after a command are read by the shell: expanded at run time, <<- strips tabs.
        Assert.Equal("a1 buildkitsandbox\n", File.ReadAllText(Path.Combine(rootfs.Path, "a.txt")));
        Assert.Equal("b1\n", File.ReadAllText(Path.Combine(rootfs.Path, "b.txt")));
        // A #! line picks the interpreter; the script lives at /dev/pipes/NAME and is not left in the image.
        Assert.Equal("shebang /dev/pipes/EOT\n", File.ReadAllText(Path.Combine(rootfs.Path, "shebang.txt")));
        Assert.False(Directory.Exists(Path.Combine(rootfs.Path, "dev", "pipes")));
    }

    private async Task<TempDirectory> Unpack(Digest imageId)
    {
        var dir = new TempDirectory("sbuild-heredoc-rootfs-");
        var config = sbuild.Store.ReadConfig(imageId);
        Assert.Equal(config.RootFs.DiffIds.Count, config.History.Count(h => h.EmptyLayer != true));
        var image = sbuild.Store.List().Single(i => i.Name == "heredoc:1");
        foreach (var layer in sbuild.Store.ReadManifest(image.Manifest.Digest).Layers)
            await ProcessRunner.RunAsync(Tools.Tar, ["-xzf", sbuild.Store.Content.PathOf(layer.Digest), "-C", dir.Path, "--exclude=*.wh.*"], CancellationToken.None);
        return dir;
    }
}
