using System.Net;
using System.Text.Json;
using Sbuild.Core;
using Sbuild.Registry.Auth;

namespace Sbuild.Registry;

/// <summary>Turns a registry's refusal into one paragraph a user can act on, with a stable code; never echoes a secret.</summary>
public static class RegistryErrors
{
    /// <summary>
    /// The error for an unexpected <paramref name="response"/> to <paramref name="what"/> (e.g. "pull busybox:1"):
    /// 401/403 → auth refused, 404 → not found, 429 → rate limited with its Retry-After, anything else → registry error
    /// with the status and the registry's own error message.
    /// </summary>
    public static async Task<SbuildException> FromResponseAsync(HttpResponseMessage response, RegistryEndpoint endpoint, string what,
        RegistryCredential? credential, CancellationToken ct)
    {
        var detail = await ErrorDetailAsync(response, ct).ConfigureAwait(false);
        var status = $"{(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd();
        return response.StatusCode switch
        {
            HttpStatusCode.Unauthorized when credential is null => new SbuildException(ErrorCode.AuthRefused,
                $"{what}: registry {endpoint.Registry} requires authentication ({status}{detail}); log in with `sbuild login {endpoint.Registry}`"),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => AuthRefused(endpoint.Registry, credential, $"{what}: {status}{detail}"),
            HttpStatusCode.NotFound => new SbuildException(ErrorCode.ImageNotFound,
                $"{what}: not found in registry {endpoint.Registry} at {endpoint} ({status}{detail}); check the name and tag"),
            HttpStatusCode.TooManyRequests => new SbuildException(ErrorCode.RateLimited,
                $"{what}: registry {endpoint.Registry} is rate limiting requests ({status}{detail}); {RetryAfter(response)}"),
            _ => new SbuildException(ErrorCode.RegistryError, $"{what}: registry {endpoint.Registry} at {endpoint} answered {status}{detail}"),
        };
    }

    public static SbuildException AuthRefused(string registry, RegistryCredential? credential, string detail) =>
        new(ErrorCode.AuthRefused, credential is null
            ? $"registry {registry} refused anonymous access ({detail}); log in with `sbuild login {registry}`"
            : $"registry {registry} refused access for user {credential.Username} ({detail}); check the credentials (`sbuild login {registry}`) and the repository permissions");

    private static string RetryAfter(HttpResponseMessage response)
    {
        var retry = response.Headers.RetryAfter;
        if (retry?.Delta is { } delta) return $"retry after {delta.TotalSeconds:0} s (Retry-After)";
        if (retry?.Date is { } date) return $"retry after {date.UtcDateTime:u} (Retry-After)";
        return "retry later (the registry gave no Retry-After)";
    }

    /// <summary>": MANIFEST_UNKNOWN manifest unknown" from the registry's JSON error body, or nothing.</summary>
    private static async Task<string> ErrorDetailAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (text.Length == 0 || text.Length > 64 * 1024) return "";
            var body = JsonSerializer.Deserialize(text, RegistryJsonContext.Default.ErrorBody);
            var first = body?.Errors?.FirstOrDefault();
            return first is null ? "" : $": {first.Code} {first.Message}".TrimEnd();
        }
        catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
        {
            return "";
        }
    }
}
