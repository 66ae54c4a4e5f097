using System.Security.Cryptography;
using System.Text;
using Sbuild.TestSupport;

namespace Sbuild.Core.Tests;

/// <summary>
/// Builds a FROM-scratch image with BuildKit once: COPY of a context holding files of several modes and owners, a
/// symlink, a hard link, an empty directory, a setuid file and a sticky directory, all with an old mtime.
/// </summary>
public sealed class ScratchCopyBuild : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("sbuild-oracle-selftest-");

    /// <summary>The mtime every context entry gets.</summary>
    public static readonly DateTimeOffset ContextTime = DateTimeOffset.FromUnixTimeSeconds(1_000_000_000);

    public OciImage Result { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var ctx = new RootfsBuilder(_dir.Combine("context"));
        Directory.CreateDirectory(ctx.Root);
        ctx.Dir("/files")
            .File("/files/hello.txt", "hello\n")
            .File("/files/secret", "s3cret", Modes.Octal("0600"))
            .File("/files/run.sh", "#!/bin/sh\necho hi\n", Modes.Octal("0755"))
            .File("/files/suid", "x", Modes.Octal("4755"))
            .Dir("/files/sticky", Modes.Octal("1777"))
            .Dir("/files/empty", Modes.Octal("0700"))
            .File("/files/sub/owned", "owned by 1234", Modes.Octal("0640"), 1234, 5678)
            .Symlink("/files/link", "hello.txt")
            .HardLink("/files/hello-again.txt", "/files/hello.txt");
        foreach (var path in Directory.EnumerateFileSystemEntries(ctx.Root, "*", SearchOption.AllDirectories))
            UnixFs.SetTimes(path, UnixTime.From(ContextTime));
        var dockerfile = _dir.Combine("Dockerfile"); // outside the context, so it is not part of the COPY
        await File.WriteAllTextAsync(dockerfile, "FROM scratch\nCOPY files/ /data/\n");

        var oracle = await BuildKitOracle.StartAsync(CancellationToken.None);
        Result = await oracle.BuildAsync(new OracleBuildRequest { ContextDir = ctx.Root, DockerfilePath = dockerfile }, CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        Result?.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The oracle and the rootfs comparer checked against each other on a build whose result is known exactly.</summary>
[Collection(OracleCollection.Name)]
public sealed class OracleRootfsTests(ScratchCopyBuild build) : IClassFixture<ScratchCopyBuild>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// What COPY files/ /data/ must produce: the context's contents under /data with their permission bits (special
    /// bits included), owned by root because COPY without --chown resets owners; the created /data is 0755 root.
    /// </summary>
    private RootfsBuilder HandBuilt()
    {
        var b = new RootfsBuilder(_dir.Combine("expected"));
        Directory.CreateDirectory(b.Root);
        return b.Dir("/data")
            .File("/data/hello.txt", "hello\n")
            .File("/data/secret", "s3cret", Modes.Octal("0600"))
            .File("/data/run.sh", "#!/bin/sh\necho hi\n", Modes.Octal("0755"))
            .File("/data/suid", "x", Modes.Octal("4755"))
            .Dir("/data/sticky", Modes.Octal("1777"))
            .Dir("/data/empty", Modes.Octal("0700"))
            .Dir("/data/sub")
            .File("/data/sub/owned", "owned by 1234", Modes.Octal("0640"))
            .Symlink("/data/link", "hello.txt")
            .HardLink("/data/hello-again.txt", "/data/hello.txt");
    }

    private static string Sha(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    [Fact]
    public void BuildKit_output_equals_the_hand_built_tree()
    {
        var expected = HandBuilt();
        var differences = RootfsComparer.Compare(build.Result.RootfsDir, expected.Root);
        Assert.True(differences.Count == 0,
            string.Join('\n', differences) + "\n-- buildkit tree --\n" + string.Join('\n', RootfsScanner.Scan(build.Result.RootfsDir).Values));
    }

    [Fact]
    public void Mutations_of_the_hand_built_tree_are_exactly_the_reported_differences()
    {
        var expected = HandBuilt()
            .Chmod("/data/secret", Modes.Octal("0644"))
            .Remove("/data/run.sh")
            .Remove("/data/link").Symlink("/data/link", "secret");
        File.WriteAllText(expected.HostPath("/data/hello.txt"), "jello\n");

        Assert.Equal(
        [
            $"/data/hello-again.txt: sha256 {Sha("hello\n")} (buildkit) vs {Sha("jello\n")} (sbuild)",
            $"/data/hello.txt: sha256 {Sha("hello\n")} (buildkit) vs {Sha("jello\n")} (sbuild)",
            "/data/link: link target hello.txt (buildkit) vs secret (sbuild)",
            "only in buildkit: /data/run.sh",
            "/data/secret: mode 0600 (buildkit) vs 0644 (sbuild)",
        ], RootfsComparer.Compare(build.Result.RootfsDir, expected.Root));
    }

    [Fact]
    public void Copied_context_entries_keep_their_mtimes_and_the_comparer_sees_a_changed_one()
    {
        var tree = RootfsScanner.Scan(build.Result.RootfsDir);
        var contextTime = UnixTime.From(ScratchCopyBuild.ContextTime);
        Assert.All(tree.Values.Where(e => e.Path.StartsWith("/data/", StringComparison.Ordinal)), e => Assert.Equal((e.Path, contextTime), (e.Path, e.Modified)));

        // Compared only for entries older than the given instant on either side: here every entry.
        var expected = HandBuilt();
        foreach (var path in Directory.EnumerateFileSystemEntries(expected.Root, "*", SearchOption.AllDirectories))
            UnixFs.SetTimes(path, contextTime);
        UnixFs.SetTimes(expected.HostPath("/data/run.sh"), contextTime with { Seconds = contextTime.Seconds + 1 });
        var options = new RootfsCompareOptions { CompareMtimesOlderThan = UnixTime.From(DateTimeOffset.UtcNow) };
        Assert.Equal([$"/data/run.sh: mtime 2001-09-09T01:46:40Z (buildkit) vs 2001-09-09T01:46:41Z (sbuild)"],
            RootfsComparer.Compare(build.Result.RootfsDir, expected.Root, options).Where(d => d.StartsWith("/data/", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_config_of_a_copy_only_scratch_build_has_one_layer_and_defaults()
    {
        // BuildKit's empty image for FROM scratch (dockerfile2llb emptyImage) sets WorkingDir "/" and the default PATH.
        var config = build.Result.Config;
        Assert.Equal(Platform.Host.Architecture, config.Architecture);
        Assert.Equal("linux", config.Os);
        Assert.Single(config.RootFs.DiffIds); // the COPY is the only layer
        Assert.Null(config.Config.Cmd);
        Assert.Null(config.Config.Entrypoint);
        Assert.Equal("/", config.Config.WorkingDir);
        Assert.Equal(build.Result.ImageId, Digest.Of(Encoding.UTF8.GetBytes(build.Result.ConfigJson))); // the image ID is the config's digest
        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], config.Config.Env!);
    }
}
