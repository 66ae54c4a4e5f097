using System.Net;
using Sbuild.Registry.Auth;

namespace Sbuild.Registry.Tests;

/// <summary>
/// <c>WWW-Authenticate</c> parsing as RFC 7235 §2.1 (auth-params: token "=" ( token / quoted-string ), names
/// case-insensitive, quoted-pair <c>\x</c> inside quoted strings) and the distribution token spec's Bearer challenges.
/// </summary>
public sealed class AuthChallengeTests
{
    private static AuthChallenge? FromHeaders(params string[] values)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        foreach (var value in values)
            Assert.True(response.Headers.TryAddWithoutValidation("WWW-Authenticate", value));
        return AuthChallenge.From(response.Headers);
    }

    [Fact]
    public void Bearer_challenge_of_the_token_spec_keeps_commas_and_colons_inside_the_quoted_scope()
    {
        // The example of the distribution token authentication spec (docs/spec/auth/token.md).
        var challenge = FromHeaders("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:samalba/my-app:pull,push\"");

        Assert.NotNull(challenge);
        Assert.True(challenge.IsBearer);
        Assert.False(challenge.IsBasic);
        Assert.Equal("https://auth.docker.io/token", challenge.Realm);
        Assert.Equal("registry.docker.io", challenge.Service);
        Assert.Equal("repository:samalba/my-app:pull,push", challenge.Parameters["scope"]);
        Assert.Equal(3, challenge.Parameters.Count);
    }

    [Fact]
    public void Parse_reads_the_parameters_directly()
    {
        var challenge = AuthChallenge.Parse("Bearer", "realm=\"https://ghcr.io/token\", service=\"ghcr.io\", scope=\"repository:o/r:pull\"");

        Assert.Equal("https://ghcr.io/token", challenge.Realm);
        Assert.Equal("ghcr.io", challenge.Service);
        Assert.Equal("repository:o/r:pull", challenge.Parameters["scope"]);
    }

    [Fact]
    public void Basic_challenge_gives_its_realm()
    {
        var challenge = FromHeaders("Basic realm=\"Registry Realm\"");

        Assert.NotNull(challenge);
        Assert.True(challenge.IsBasic);
        Assert.False(challenge.IsBearer);
        Assert.Equal("Registry Realm", challenge.Realm);
        Assert.Null(challenge.Service);
    }

    [Fact]
    public void Scheme_names_are_case_insensitive()
    {
        // RFC 7235 §2.1: "auth-scheme ... case-insensitive".
        Assert.True(AuthChallenge.Parse("bearer", "realm=\"r\"").IsBearer);
        Assert.True(AuthChallenge.Parse("BASIC", "realm=\"r\"").IsBasic);
    }

    [Fact]
    public void Parameter_names_are_case_insensitive()
    {
        // RFC 7235 §2.2: "The realm value is case-sensitive"; parameter names are matched case-insensitively (§2.1).
        var challenge = AuthChallenge.Parse("Bearer", "Realm=\"https://auth.example/Token\",SERVICE=\"Reg\"");

        Assert.Equal("https://auth.example/Token", challenge.Realm);
        Assert.Equal("Reg", challenge.Service);
    }

    [Fact]
    public void Escaped_quotes_and_backslashes_inside_a_quoted_value_are_unescaped()
    {
        // RFC 7230 §3.2.6: quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ).
        var challenge = AuthChallenge.Parse("Basic", "realm=\"say \\\"hi\\\" \\\\ bye\"");

        Assert.Equal("say \"hi\" \\ bye", challenge.Realm);
    }

    [Fact]
    public void Escaped_quotes_survive_the_header_collection()
    {
        var challenge = FromHeaders("Basic realm=\"a \\\"quoted\\\" realm\"");

        Assert.NotNull(challenge);
        Assert.Equal("a \"quoted\" realm", challenge.Realm);
    }

    [Fact]
    public void Unquoted_token_values_are_read_up_to_the_next_comma()
    {
        var challenge = AuthChallenge.Parse("Bearer", "realm=https://auth.example/token,service=registry.example,scope=\"repository:a/b:pull\"");

        Assert.Equal("https://auth.example/token", challenge.Realm);
        Assert.Equal("registry.example", challenge.Service);
        Assert.Equal("repository:a/b:pull", challenge.Parameters["scope"]);
    }

    [Fact]
    public void Spaces_around_separators_are_ignored()
    {
        var challenge = AuthChallenge.Parse("Bearer", "  realm=\"r\" ,   service=s  , scope=\"x\"  ");

        Assert.Equal("r", challenge.Realm);
        Assert.Equal("s", challenge.Service);
        Assert.Equal("x", challenge.Parameters["scope"]);
    }

    [Fact]
    public void No_parameters_give_an_empty_challenge()
    {
        var challenge = AuthChallenge.Parse("Basic", null);

        Assert.True(challenge.IsBasic);
        Assert.Empty(challenge.Parameters);
        Assert.Null(challenge.Realm);
    }

    [Fact]
    public void Bearer_is_preferred_over_basic_whatever_the_header_order()
    {
        var challenge = FromHeaders("Basic realm=\"basic-realm\"", "Bearer realm=\"https://auth.example/token\",service=\"svc\"");

        Assert.NotNull(challenge);
        Assert.True(challenge.IsBearer);
        Assert.Equal("https://auth.example/token", challenge.Realm);
        Assert.Equal("svc", challenge.Service);
    }

    [Fact]
    public void Basic_is_chosen_when_no_bearer_is_offered()
    {
        var challenge = FromHeaders("Negotiate", "Basic realm=\"r\"");

        Assert.NotNull(challenge);
        Assert.True(challenge.IsBasic);
        Assert.Equal("r", challenge.Realm);
    }

    [Fact]
    public void Several_challenges_in_one_header_value_are_told_apart()
    {
        // RFC 7235 §4.1: WWW-Authenticate = 1#challenge, so one field value may hold several challenges.
        var challenge = FromHeaders("Basic realm=\"basic-realm\", Bearer realm=\"https://auth.example/token\",service=\"svc\",scope=\"repository:a/b:pull,push\"");

        Assert.NotNull(challenge);
        Assert.True(challenge.IsBearer);
        Assert.Equal("https://auth.example/token", challenge.Realm);
        Assert.Equal("svc", challenge.Service);
        Assert.Equal("repository:a/b:pull,push", challenge.Parameters["scope"]);
    }

    [Fact]
    public void Only_unknown_schemes_give_null()
    {
        Assert.Null(FromHeaders("Negotiate", "NTLM"));
    }

    [Fact]
    public void No_challenge_gives_null()
    {
        Assert.Null(FromHeaders());
    }
}
