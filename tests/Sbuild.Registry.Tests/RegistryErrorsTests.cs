using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Sbuild.Core;
using Sbuild.Registry.Auth;

namespace Sbuild.Registry.Tests;

/// <summary>
/// Registry refusals turned into errors. Status codes and the error body follow the distribution spec
/// (<c>{"errors":[{"code":…,"message":…}]}</c>, codes such as MANIFEST_UNKNOWN, DENIED, TOOMANYREQUESTS), Retry-After follows RFC 9110 §10.2.3.
/// </summary>
public sealed class RegistryErrorsTests
{
    private static readonly RegistryEndpoint Endpoint = new("127.0.0.1:5000", new Uri("http://127.0.0.1:5000"), false);
    private static readonly RegistryCredential Credential = new("alice", "s3cr3t-pa55word");

    private static HttpResponseMessage Response(HttpStatusCode status, string? body = null)
    {
        var response = new HttpResponseMessage(status);
        if (body is not null) response.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return response;
    }

    private static async Task<SbuildException> ErrorFor(HttpResponseMessage response, RegistryCredential? credential = null)
    {
        using (response)
            return await RegistryErrors.FromResponseAsync(response, Endpoint, "pull 127.0.0.1:5000/team/app:1", credential, CancellationToken.None);
    }

    [Fact]
    public async Task Unauthorized_without_a_credential_tells_how_to_log_in()
    {
        var error = await ErrorFor(Response(HttpStatusCode.Unauthorized,
            """{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"""));

        Assert.Equal(ErrorCode.AuthRefused, error.Code);
        Assert.Contains("sbuild login 127.0.0.1:5000", error.Message);
        Assert.Contains("pull 127.0.0.1:5000/team/app:1", error.Message);
        Assert.Contains("401", error.Message);
        Assert.Contains("UNAUTHORIZED", error.Message);
    }

    [Fact]
    public async Task Forbidden_without_a_credential_is_an_anonymous_refusal()
    {
        var error = await ErrorFor(Response(HttpStatusCode.Forbidden));

        Assert.Equal(ErrorCode.AuthRefused, error.Code);
        Assert.Contains("sbuild login 127.0.0.1:5000", error.Message);
        Assert.Contains("403", error.Message);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    public async Task A_refused_credential_names_the_user_but_never_the_secret(HttpStatusCode status)
    {
        var error = await ErrorFor(Response(status, """{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"""), Credential);

        Assert.Equal(ErrorCode.AuthRefused, error.Code);
        Assert.Contains("alice", error.Message);
        Assert.Contains("127.0.0.1:5000", error.Message);
        Assert.Contains(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
        Assert.Contains("DENIED", error.Message);
        Assert.DoesNotContain(Credential.Secret, error.Message);
        Assert.DoesNotContain(Credential.Secret, error.ToString());
    }

    [Fact]
    public async Task Not_found_carries_the_registrys_error_code()
    {
        var error = await ErrorFor(Response(HttpStatusCode.NotFound,
            """{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"""));

        Assert.Equal(ErrorCode.ImageNotFound, error.Code);
        Assert.Contains("MANIFEST_UNKNOWN", error.Message);
        Assert.Contains("manifest unknown", error.Message);
        Assert.Contains("404", error.Message);
        Assert.Contains("127.0.0.1:5000", error.Message);
    }

    [Fact]
    public async Task Not_found_without_a_body_is_still_not_found()
    {
        var error = await ErrorFor(Response(HttpStatusCode.NotFound));

        Assert.Equal(ErrorCode.ImageNotFound, error.Code);
    }

    [Fact]
    public async Task Too_many_requests_gives_the_retry_after_delay()
    {
        var response = Response(HttpStatusCode.TooManyRequests,
            """{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}""");
        Assert.True(response.Headers.TryAddWithoutValidation("Retry-After", "30"));

        var error = await ErrorFor(response);

        Assert.Equal(ErrorCode.RateLimited, error.Code);
        Assert.Contains("30 s", error.Message);
        Assert.Contains("TOOMANYREQUESTS", error.Message);
        Assert.Contains("429", error.Message);
    }

    [Fact]
    public async Task Too_many_requests_with_a_retry_after_date_gives_the_date()
    {
        var response = Response(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter = new RetryConditionHeaderValue(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

        var error = await ErrorFor(response);

        Assert.Equal(ErrorCode.RateLimited, error.Code);
        Assert.Contains("2030-01-02", error.Message);
    }

    [Fact]
    public async Task Too_many_requests_without_retry_after_is_still_rate_limited()
    {
        var error = await ErrorFor(Response(HttpStatusCode.TooManyRequests));

        Assert.Equal(ErrorCode.RateLimited, error.Code);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.MethodNotAllowed)]
    public async Task Other_statuses_are_registry_errors(HttpStatusCode status)
    {
        var error = await ErrorFor(Response(status));

        Assert.Equal(ErrorCode.RegistryError, error.Code);
        Assert.Contains(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
        Assert.Contains("http://127.0.0.1:5000", error.Message);
    }

    [Fact]
    public async Task A_body_that_is_not_the_error_json_is_ignored()
    {
        var error = await ErrorFor(Response(HttpStatusCode.InternalServerError, "<html><body>oops</body></html>"));

        Assert.Equal(ErrorCode.RegistryError, error.Code);
        Assert.DoesNotContain("<html>", error.Message);
    }

    [Fact]
    public async Task The_endpoint_is_shown_without_a_path_or_query()
    {
        var endpoint = new RegistryEndpoint("127.0.0.1:5000", new Uri("http://127.0.0.1:5000/v2/x?token=abc"), false);
        using var response = Response(HttpStatusCode.InternalServerError);

        var error = await RegistryErrors.FromResponseAsync(response, endpoint, "push app", null, CancellationToken.None);

        Assert.DoesNotContain("token=abc", error.Message);
    }
}
