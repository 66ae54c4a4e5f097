using System.Text;
using Sbuild.Core;
using Sbuild.TestSupport;

namespace Sbuild.Cli.Tests;

/// <summary>
/// Basic (htpasswd), token (a JWT-signing token server of the test) and TLS registries: login, pull and push work
/// with stored credentials, refusals say what to do, and no secret or token shows up anywhere but the credentials file.
/// </summary>
public sealed class RegistryAuthTests(SbuildCli sbuild) : IClassFixture<SbuildCli>, IDisposable
{
    private const string User = "ci-bot";
    private const string Password = "s3cret-Pa55word-for-tests";
    private readonly TempDirectory _work = new("sbuild-registry-auth-");
    private readonly List<ProcessResult> _outputs = [];

    public void Dispose() => _work.Dispose();

    private async Task<ProcessResult> Run(IEnumerable<string> args, bool allowFailure = false, string? input = null, string? store = null)
    {
        var result = await sbuild.RunAsync(args, allowFailure, epoch: 0, storeRoot: store, input: input);
        _outputs.Add(result);
        return result;
    }

    private string AuthFile => Path.Combine(sbuild.ConfigHome, "sbuild", "auth.json");

    [Fact]
    public async Task Basic_auth_login_refuses_bad_passwords_then_stores_0600_credentials_used_by_pull_and_push()
    {
        await using var registry = await RegistryServer.StartBasicAuthAsync(User, Password, CancellationToken.None);
        var name = $"{registry.Address}/private/app:1";
        await RegistrySeed.SkopeoAsync(["copy", "--dest-tls-verify=false", "--dest-creds", $"{User}:{Password}",
            OciTestImage.Write(_work.Combine("img"), "t", "private\n").Reference, $"docker://{name}"]);

        var anonymous = await Run(["pull", name], allowFailure: true);
        Assert.Contains("error[SB5003]", anonymous.StandardError);
        Assert.Contains($"sbuild login {registry.Address}", anonymous.StandardError);

        var wrong = await Run(["login", "-u", User, "--password-stdin", registry.Address], allowFailure: true, input: "not-the-password\n");
        Assert.Contains("error[SB5003]", wrong.StandardError);
        Assert.False(File.Exists(AuthFile) && File.ReadAllText(AuthFile).Contains(registry.Address));

        var login = await Run(["login", "-u", User, "--password-stdin", registry.Address], input: Password + "\n");
        Assert.Equal("Login Succeeded", login.StandardOutput.Trim());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(AuthFile));

        var store = _work.Combine("store");
        await Run(["pull", name], store: store);
        await Run(["image", "import", sbuild.BusyboxTar, $"{registry.Address}/private/pushed:1"], store: store);
        var push = await Run(["push", $"{registry.Address}/private/pushed:1"], store: store);
        Assert.Equal(push.StandardOutput.Trim(), await RegistrySeed.SkopeoDigestAsync($"{registry.Address}/private/pushed:1", $"{User}:{Password}"));

        var logout = await Run(["logout", registry.Address]);
        Assert.Contains($"Removing login credentials for {registry.Address}", logout.StandardOutput);
        Assert.Contains("error[SB5003]", (await Run(["pull", name], allowFailure: true, store: _work.Combine("store2"))).StandardError);

        AssertNoSecretOutside(store, Password);
    }

    [Fact]
    public async Task Token_auth_reuses_tokens_per_scope_and_allows_anonymous_pulls_of_public_repositories()
    {
        await using var registry = await RegistryServer.StartTokenAuthAsync(User, Password, CancellationToken.None);
        await RegistrySeed.SkopeoAsync(["copy", "--dest-tls-verify=false", "--dest-creds", $"{User}:{Password}",
            OciTestImage.Write(_work.Combine("pub"), "t", "public\n").Reference, $"docker://{registry.Address}/public/base:1"]);

        // Anonymous: the token service grants pull on public/ repositories only.
        var store = _work.Combine("token-store");
        await Run(["pull", $"{registry.Address}/public/base:1"], store: store);
        Assert.Contains(registry.Tokens.Requests, r => !r.HadAuthorization && r.Scopes.Contains("repository:public/base:pull"));
        await Run(["image", "import", sbuild.BusyboxTar, $"{registry.Address}/team/app:1"], store: store);
        var refused = await Run(["push", $"{registry.Address}/team/app:1"], allowFailure: true, store: store);
        Assert.Contains("error[SB5003]", refused.StandardError);

        await Run(["login", "-u", User, "-p", Password, registry.Address]);
        var before = registry.Tokens.TokensIssued;
        var push = await Run(["push", $"{registry.Address}/team/app:1"], store: store);
        // One push = one token for its scope, reused for every HEAD, POST, PUT and the manifest (not one per request).
        Assert.Equal(1, registry.Tokens.TokensIssued - before);
        Assert.Equal(push.StandardOutput.Trim(), await RegistrySeed.SkopeoDigestAsync($"{registry.Address}/team/app:1", $"{User}:{Password}"));

        AssertNoSecretOutside(store, Password);
    }

    [Fact]
    public async Task Tls_registries_are_verified_against_the_ca_in_certs_d()
    {
        await using var registry = await RegistryServer.StartTlsAsync(CancellationToken.None);
        var certDir = _work.Combine("skopeo-certs");
        Directory.CreateDirectory(certDir);
        File.Copy(registry.CaCertificatePath!, Path.Combine(certDir, "ca.crt"));
        var name = $"{registry.Address}/tls/app:1";
        await RegistrySeed.SkopeoAsync(["copy", "--dest-cert-dir", certDir, OciTestImage.Write(_work.Combine("tls"), "t", "tls\n").Reference, $"docker://{name}"]);

        var untrusted = await Run(["pull", name], allowFailure: true, store: _work.Combine("tls-store"));
        Assert.Equal(1, untrusted.ExitCode);
        Assert.Contains("error[SB5001]", untrusted.StandardError);
        Assert.Contains($"https://{registry.Address}", untrusted.StandardError);

        var hostCerts = Path.Combine(sbuild.ConfigHome, "sbuild", "certs.d", registry.Address);
        Directory.CreateDirectory(hostCerts);
        File.Copy(registry.CaCertificatePath!, Path.Combine(hostCerts, "ca.crt"), overwrite: true);
        try
        {
            var pulled = await Run(["pull", name], store: _work.Combine("tls-store"));
            Assert.StartsWith("sha256:", pulled.StandardOutput.Trim());
        }
        finally
        {
            Directory.Delete(hostCerts, recursive: true);
        }
    }

    /// <summary>
    /// The password (and its base64 forms) appears in no command output and no file of the store; the only file that
    /// may hold it is sbuild's credentials file.
    /// </summary>
    private void AssertNoSecretOutside(string store, string secret)
    {
        string[] forms = [secret, Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{secret}")), "eyJ"]; // eyJ: any JWT
        foreach (var output in _outputs)
            foreach (var form in forms)
            {
                Assert.DoesNotContain(form, output.StandardOutput);
                Assert.DoesNotContain(form, output.StandardError);
            }
        foreach (var file in Directory.EnumerateFiles(store, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(file);
            foreach (var form in forms)
                Assert.False(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(form)) >= 0, $"{file} holds a secret ({form[..3]}…)");
        }
    }
}
