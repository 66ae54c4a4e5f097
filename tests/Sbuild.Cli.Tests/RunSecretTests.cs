using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>RUN --mount=type=secret: the RUN sees the value; no layer, history, cache record or store file holds it.</summary>
public sealed class RunSecretTests(SbuildCli sbuild) : IClassFixture<SbuildCli>
{
    [Fact]
    public async Task A_secret_is_seen_by_the_run_and_written_nowhere()
    {
        using var context = new TempDirectory("sbuild-secret-");
        var value = "s3cr3t-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(context.Combine("token.txt"), value);
        File.WriteAllText(context.Combine(".dockerignore"), "token.txt\n");
        // The RUNs print the value's sha256, so the Dockerfile (and so the history) never holds the value itself.
        File.WriteAllText(context.Combine("Dockerfile"), """
            FROM busybox
            RUN --mount=type=secret,id=token,mode=0440,uid=5 sha256sum /run/secrets/token && stat -c 'mode %a uid %u' /run/secrets/token && echo ok > /used-file
            RUN --mount=type=secret,id=fromenv,env=API_KEY printf %s "$API_KEY" | sha256sum && echo ok > /used-env
            RUN --mount=type=secret,id=absent ls /run/secrets 2>&1 | wc -l > /optional
            """);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(value)));
        var build = await sbuild.RunAsync(["--progress", "plain", "--secret", $"id=token,src={context.Combine("token.txt")}",
            "--secret", "id=fromenv,env=SBUILD_TEST_SECRET", "-t", "secret:1", context.Path], epoch: 0, environment: new() { ["SBUILD_TEST_SECRET"] = value });
        Assert.Contains($" {hash}  /run/secrets/token", build.StandardError);
        Assert.Contains($" {hash}  -", build.StandardError);
        Assert.Contains("mode 440 uid 5", build.StandardError);

        // The value is in no file of the store (layers are gzip: compare their uncompressed tars) and not in /dev/shm.
        foreach (var file in Directory.EnumerateFiles(sbuild.StoreRoot, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(file);
            var text = bytes.Length > 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
                ? (await ProcessRunner.RunAsync("sh", ["-c", $"gzip -dc '{file}' | strings"], CancellationToken.None)).StandardOutput
                : System.Text.Encoding.Latin1.GetString(bytes);
            Assert.DoesNotContain(value, text);
        }
        Assert.Empty(Directory.EnumerateDirectories("/dev/shm", "sbuild-secrets-*"));

        // Not even while the RUN runs: the container's config (which lists its environment) is not made in the store.
        File.WriteAllText(context.Combine("Dockerfile.slow"), "FROM busybox\nRUN --mount=type=secret,id=fromenv,env=API_KEY sleep 3\n");
        var slow = sbuild.RunAsync(["-f", context.Combine("Dockerfile.slow"), "--secret", "id=fromenv,env=SBUILD_TEST_SECRET", context.Path],
            environment: new() { ["SBUILD_TEST_SECRET"] = value });
        while (!slow.IsCompleted)
        {
            foreach (var file in Directory.EnumerateFiles(sbuild.StoreRoot, "config.json", SearchOption.AllDirectories))
            {
                try { Assert.DoesNotContain(value, File.ReadAllText(file)); }
                catch (IOException) { } // removed meanwhile
            }
            await Task.Delay(100);
        }
        await slow;

        // A required secret that is not given is a clear error at its line.
        var missing = await sbuild.RunAsync(["-f", "-", context.Path], allowFailure: true, input: "FROM busybox\nRUN --mount=type=secret,id=npmrc,required true\n");
        Assert.Contains("secret \"npmrc\" is required but not provided: give it with --secret id=npmrc,src=FILE", missing.StandardError);
        Assert.Matches(@":2:", missing.StandardError);

        var bad = await sbuild.RunAsync(["--secret", "src=x", context.Path], allowFailure: true);
        Assert.Contains("invalid --secret \"src=x\": id= is required", bad.StandardError);
    }
}
