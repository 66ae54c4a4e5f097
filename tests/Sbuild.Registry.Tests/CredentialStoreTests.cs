using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sbuild.Core;
using Sbuild.Registry.Auth;
using Sbuild.TestSupport;

namespace Sbuild.Registry.Tests;

public sealed class CredentialStoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _sbuildAuth;
    private readonly string _dockerConfig;
    private readonly string _helpers;

    public CredentialStoreTests()
    {
        _sbuildAuth = _temp.Combine("config", "sbuild", "auth.json");
        _dockerConfig = _temp.Combine("docker", "config.json");
        _helpers = _temp.Combine("bin");
        Directory.CreateDirectory(Path.GetDirectoryName(_dockerConfig)!);
        Directory.CreateDirectory(_helpers);
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>A store whose helpers are looked up only in the test's own bin directory (the process PATH is shared by parallel tests).</summary>
    private CredentialStore Store(TimeSpan? helperTimeout = null) =>
        new(_sbuildAuth, _dockerConfig, program => File.Exists(Path.Combine(_helpers, program)) ? Path.Combine(_helpers, program) : null,
            helperTimeout ?? TimeSpan.FromSeconds(30));

    /// <summary>Writes <paramref name="json"/> with each <c>B64(user:secret)</c> replaced by its base64, as Docker's <c>auth</c> field holds it.</summary>
    private void WriteDockerConfig(string json) => File.WriteAllText(_dockerConfig, Expand(json));

    private void WriteSbuildAuth(string json)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_sbuildAuth)!);
        File.WriteAllText(_sbuildAuth, Expand(json));
    }

    private static string Expand(string json) => Regex.Replace(json, @"B64\(([^)]*)\)", m => Base64(m.Groups[1].Value));

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>A fake <c>docker-credential-NAME</c>: a shell script that saves its stdin to NAME.stdin and runs <paramref name="body"/>.</summary>
    private void WriteHelper(string name, string body)
    {
        var path = Path.Combine(_helpers, "docker-credential-" + name);
        File.WriteAllText(path, $"#!/bin/sh\n[ \"$1\" = get ] || exit 9\ncat > \"{_helpers}/{name}.stdin\"\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private string HelperInput(string name) => File.ReadAllText(Path.Combine(_helpers, name + ".stdin"));

    [Fact]
    public void Save_then_find_round_trips()
    {
        var store = Store();
        store.Save("127.0.0.1:5000", new RegistryCredential("bob", "pa:ss:word"));

        Assert.Equal(new RegistryCredential("bob", "pa:ss:word"), store.Find("127.0.0.1:5000"));
        Assert.Equal(new RegistryCredential("bob", "pa:ss:word"), new CredentialStore(_sbuildAuth, null).Find("http://127.0.0.1:5000/v2/"));
        Assert.Null(store.Find("127.0.0.1:5001"));
    }

    [Fact]
    public void Saved_file_is_0600_in_a_0700_directory_and_docker_compatible()
    {
        Store().Save("ghcr.io", new RegistryCredential("bob", "s3cret"));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_sbuildAuth));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(_sbuildAuth)!));
        var json = JsonNode.Parse(File.ReadAllText(_sbuildAuth))!;
        Assert.Equal(Base64("bob:s3cret"), (string?)json["auths"]!["ghcr.io"]!["auth"]);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(_sbuildAuth)!, "*.tmp"));
    }

    [Fact]
    public void Save_keeps_other_entries_and_unknown_properties_and_tightens_the_mode()
    {
        WriteSbuildAuth("""
            {"auths": {"other.example": {"auth": "B64(amy:x)", "email": "amy@example.com"}, "ghcr.io": {"auth": "B64(old:old)"}},
             "future": {"setting": [1, 2]}}
            """);
        File.SetUnixFileMode(_sbuildAuth, (UnixFileMode)0b110_100_100);

        Store().Save("https://ghcr.io", new RegistryCredential("bob", "new"));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_sbuildAuth));
        var json = JsonNode.Parse(File.ReadAllText(_sbuildAuth))!;
        Assert.Equal("amy@example.com", (string?)json["auths"]!["other.example"]!["email"]);
        Assert.Equal(2, (int)json["future"]!["setting"]![1]!);
        Assert.Equal(new RegistryCredential("amy", "x"), Store().Find("other.example"));
        Assert.Equal(new RegistryCredential("bob", "new"), Store().Find("ghcr.io"));
    }

    [Fact]
    public void Save_replaces_docker_hub_aliases_with_one_entry_under_dockers_key()
    {
        WriteSbuildAuth("""{"auths": {"registry-1.docker.io": {"auth": "B64(old:old)"}}}""");

        Store().Save("docker.io", new RegistryCredential("bob", "new"));

        var auths = JsonNode.Parse(File.ReadAllText(_sbuildAuth))!["auths"]!.AsObject();
        Assert.Equal([CredentialStore.DockerHubServerUrl], auths.Select(p => p.Key));
        Assert.Equal(new RegistryCredential("bob", "new"), Store().Find("index.docker.io"));
    }

    [Fact]
    public void Save_through_a_symlink_writes_the_target()
    {
        var real = _temp.Combine("dotfiles", "auth.json");
        Directory.CreateDirectory(Path.GetDirectoryName(real)!);
        File.WriteAllText(real, "{}");
        Directory.CreateDirectory(Path.GetDirectoryName(_sbuildAuth)!);
        File.CreateSymbolicLink(_sbuildAuth, real);

        Store().Save("ghcr.io", new RegistryCredential("bob", "x"));

        Assert.NotNull(new FileInfo(_sbuildAuth).LinkTarget);
        Assert.Equal(new RegistryCredential("bob", "x"), new CredentialStore(real, null).Find("ghcr.io"));
    }

    [Fact]
    public void Identity_token_round_trips()
    {
        Store().Save("ghcr.io", RegistryCredential.IdentityToken("refresh-me"));

        var found = Store().Find("ghcr.io");
        Assert.Equal(RegistryCredential.IdentityToken("refresh-me"), found);
        Assert.True(found!.IsIdentityToken);
    }

    [Fact]
    public void Save_rejects_a_user_name_with_a_colon()
    {
        var e = Assert.Throws<SbuildException>(() => Store().Save("ghcr.io", new RegistryCredential("a:b", "x")));
        Assert.Equal(ErrorCode.InvalidOption, e.Code);
    }

    [Fact]
    public void Remove_deletes_every_alias_and_keeps_the_rest()
    {
        WriteSbuildAuth("""
            {"auths": {"docker.io": {"auth": "B64(a:1)"}, "https://index.docker.io/v1/": {"auth": "B64(b:2)"},
                       "ghcr.io": {"auth": "B64(c:3)"}}}
            """);
        var store = Store();

        Assert.True(store.Remove("registry-1.docker.io"));
        Assert.False(store.Remove("docker.io"));
        Assert.Null(store.Find("docker.io"));
        Assert.Equal(new RegistryCredential("c", "3"), store.Find("ghcr.io"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_sbuildAuth));
    }

    [Fact]
    public void Remove_without_a_file_is_false_and_creates_nothing()
    {
        Assert.False(Store().Remove("ghcr.io"));
        Assert.False(File.Exists(_sbuildAuth));
    }

    [Fact]
    public void Nothing_configured_is_anonymous()
    {
        Assert.Null(new CredentialStore(_sbuildAuth, null).Find("ghcr.io"));
        Assert.Null(Store().Find("ghcr.io"));
        WriteDockerConfig("");
        Assert.Null(Store().Find("ghcr.io"));
    }

    [Fact]
    public void Sbuild_file_wins_over_docker()
    {
        WriteDockerConfig("""{"auths": {"ghcr.io": {"auth": "B64(docker:d)"}}}""");
        Assert.Equal(new RegistryCredential("docker", "d"), Store().Find("ghcr.io"));

        Store().Save("ghcr.io", new RegistryCredential("sbuild", "s"));
        Assert.Equal(new RegistryCredential("sbuild", "s"), Store().Find("ghcr.io"));
        Assert.Equal(Expand("""{"auths": {"ghcr.io": {"auth": "B64(docker:d)"}}}"""), File.ReadAllText(_dockerConfig));
    }

    [Fact]
    public void Docker_auths_base64_username_password_and_identitytoken()
    {
        WriteDockerConfig("""
            {"auths": {
              "a.example": {"auth": "B64(alice:pw:with:colons)"},
              "b.example": {"username": "bob", "password": "pw"},
              "c.example": {"auth": "B64(carol:)", "identitytoken": "tok"},
              "d.example": {}
            }}
            """);
        var store = Store();

        Assert.Equal(new RegistryCredential("alice", "pw:with:colons"), store.Find("a.example"));
        Assert.Equal(new RegistryCredential("bob", "pw"), store.Find("b.example"));
        Assert.Equal(new RegistryCredential("<token>", "tok"), store.Find("c.example"));
        Assert.True(store.Find("c.example")!.IsIdentityToken);
        Assert.Null(store.Find("d.example"));
    }

    [Theory]
    [InlineData("https://index.docker.io/v1/")]
    [InlineData("index.docker.io")]
    [InlineData("docker.io")]
    [InlineData("registry-1.docker.io")]
    public void Docker_hub_keys_are_aliases(string key)
    {
        WriteDockerConfig("""{"auths": {"KEY": {"auth": "B64(hub:pw)"}}}""".Replace("KEY", key));
        var store = Store();

        foreach (var host in new[] { "docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/" })
            Assert.Equal(new RegistryCredential("hub", "pw"), store.Find(host));
        Assert.Null(store.Find("ghcr.io"));
    }

    [Theory]
    [InlineData("https://ghcr.io", "ghcr.io")]
    [InlineData("http://127.0.0.1:5000/v2/", "127.0.0.1:5000")]
    [InlineData("127.0.0.1:5000", "127.0.0.1:5000")]
    [InlineData("HTTPS://GHCR.IO/", "ghcr.io")]
    public void Url_form_keys_match_their_host(string key, string host)
    {
        WriteDockerConfig("""{"auths": {"KEY": {"auth": "B64(u:p)"}}}""".Replace("KEY", key));

        Assert.Equal(new RegistryCredential("u", "p"), Store().Find(host));
        Assert.Null(Store().Find(host + "0"));
    }

    [Theory]
    [InlineData("https://index.docker.io/v1/", "docker.io")]
    [InlineData("http://h:5/v2/", "h:5")]
    [InlineData("registry-1.docker.io", "docker.io")]
    [InlineData("index.docker.io/v1/", "docker.io")]
    [InlineData("Quay.IO", "quay.io")]
    [InlineData("localhost:5000", "localhost:5000")]
    public void NormalizeHost_folds_urls_and_hub_aliases(string input, string expected) =>
        Assert.Equal(expected, CredentialStore.NormalizeHost(input));

    [Fact]
    public void CredHelpers_runs_the_hosts_helper_with_the_server_url_on_stdin()
    {
        WriteHelper("testhelper", """echo '{"ServerURL":"ghcr.io","Username":"helped","Secret":"from-helper"}'""");
        WriteDockerConfig("""
            {"credHelpers": {"https://ghcr.io": "testhelper"}, "auths": {"ghcr.io": {"auth": "B64(file:f)"}}}
            """);

        Assert.Equal(new RegistryCredential("helped", "from-helper"), Store().Find("ghcr.io"));
        Assert.Equal("ghcr.io", HelperInput("testhelper"));
    }

    [Fact]
    public void CredsStore_is_asked_with_dockers_hub_url()
    {
        WriteHelper("testhelper", """echo '{"ServerURL":"x","Username":"<token>","Secret":"idtok"}'""");
        WriteDockerConfig("""{"credsStore": "testhelper", "auths": {"https://index.docker.io/v1/": {}}}""");

        var found = Store().Find("registry-1.docker.io");

        Assert.Equal(RegistryCredential.IdentityToken("idtok"), found);
        Assert.Equal(CredentialStore.DockerHubServerUrl, HelperInput("testhelper"));
    }

    [Fact]
    public void CredHelpers_come_before_credsStore()
    {
        WriteHelper("perhost", """echo '{"Username":"per","Secret":"host"}'""");
        WriteHelper("global", """echo '{"Username":"glo","Secret":"bal"}'""");
        WriteDockerConfig("""{"credHelpers": {"ghcr.io": "perhost"}, "credsStore": "global"}""");

        Assert.Equal(new RegistryCredential("per", "host"), Store().Find("ghcr.io"));
        Assert.Equal(new RegistryCredential("glo", "bal"), Store().Find("quay.io"));
    }

    [Fact]
    public void Helper_not_found_answer_is_anonymous_and_falls_through_to_auths()
    {
        WriteHelper("testhelper", "echo 'credentials not found in native keychain'; exit 1");
        WriteDockerConfig("""{"credsStore": "testhelper", "auths": {"b.example": {"auth": "B64(file:f)"}}}""");

        Assert.Null(Store().Find("a.example"));
        Assert.Equal(new RegistryCredential("file", "f"), Store().Find("b.example"));
    }

    [Fact]
    public void Helper_failure_names_the_helper_but_not_the_secret()
    {
        WriteHelper("testhelper", """echo '{"Username":"u","Secret":"TOPSECRET"}'; echo 'keychain is locked' >&2; exit 3""");
        WriteDockerConfig("""{"credsStore": "testhelper"}""");

        var e = Assert.Throws<SbuildException>(() => Store().Find("ghcr.io"));

        Assert.Equal(ErrorCode.CredentialsUnavailable, e.Code);
        Assert.Contains("docker-credential-testhelper", e.Message);
        Assert.Contains("code 3", e.Message);
        Assert.Contains("keychain is locked", e.Message);
        Assert.DoesNotContain("TOPSECRET", e.ToString());
    }

    [Fact]
    public void Helper_garbage_output_is_an_error_without_the_output()
    {
        WriteHelper("testhelper", """echo 'TOPSECRET not json'""");
        WriteDockerConfig("""{"credsStore": "testhelper"}""");

        var e = Assert.Throws<SbuildException>(() => Store().Find("ghcr.io"));

        Assert.Contains("docker-credential-testhelper", e.Message);
        Assert.DoesNotContain("TOPSECRET", e.ToString());
    }

    [Fact]
    public void Missing_helper_is_an_error_naming_it_and_the_config()
    {
        WriteDockerConfig("""{"credHelpers": {"ghcr.io": "nosuch"}}""");

        var e = Assert.Throws<SbuildException>(() => Store().Find("ghcr.io"));

        Assert.Equal(ErrorCode.CredentialsUnavailable, e.Code);
        Assert.Contains("docker-credential-nosuch", e.Message);
        Assert.Contains(_dockerConfig, e.Message);
        Assert.Null(Store().Find("quay.io"));
    }

    [Fact]
    public void Hung_helper_is_killed_after_the_timeout()
    {
        WriteHelper("testhelper", "sleep 30");
        WriteDockerConfig("""{"credsStore": "testhelper"}""");
        var started = DateTime.UtcNow;

        var e = Assert.Throws<SbuildException>(() => Store(TimeSpan.FromMilliseconds(500)).Find("ghcr.io"));

        Assert.Contains("did not answer", e.Message);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData("""{"auths": {"ghcr.io": {"auth": "TOPSECRET""", "line 1")]
    [InlineData("""{"auths": TOPSECRET}""", "line 1")]
    [InlineData("{\n\"auths\": {},\n\"auths\": {}}", "appears twice")]
    [InlineData("{\n\"auths\": {\n  \"ghcr.io\": {\"auth\": \"TOPSECRET}}}", "line 3")]
    [InlineData("""["TOPSECRET"]""", "top level")]
    [InlineData("""{"auths": {"ghcr.io": {"auth": "not base64 TOPSECRET"}}}""", "base64")]
    [InlineData("""{"auths": {"ghcr.io": {"auth": 42}}}""", "auth must be a string")]
    [InlineData("""{"auths": ["TOPSECRET"]}""", "\"auths\" must be a JSON object")]
    public void Malformed_files_name_the_path_and_problem_but_not_the_content(string json, string problem)
    {
        foreach (var (file, store) in new[] { (_dockerConfig, Store()), (_sbuildAuth, Store()) })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, json);

            var e = Assert.Throws<SbuildException>(() => store.Find("ghcr.io"));

            Assert.Equal(ErrorCode.CredentialsUnavailable, e.Code);
            Assert.Contains(file, e.Message);
            Assert.Contains(problem, e.Message);
            Assert.DoesNotContain("TOPSECRET", e.ToString());
        }
    }

    [Fact]
    public void Save_refuses_to_overwrite_a_malformed_file()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_sbuildAuth)!);
        File.WriteAllText(_sbuildAuth, "{oops");

        Assert.Throws<SbuildException>(() => Store().Save("ghcr.io", new RegistryCredential("u", "p")));
        Assert.Equal("{oops", File.ReadAllText(_sbuildAuth));
    }

    [Fact]
    public void ToString_hides_the_secret()
    {
        var credential = new RegistryCredential("bob", "TOPSECRET");

        Assert.Equal("RegistryCredential { Username = bob, Secret = *** }", credential.ToString());
        Assert.DoesNotContain("TOPSECRET", $"{new { credential }}");
        Assert.False(credential.IsIdentityToken);
    }
}
