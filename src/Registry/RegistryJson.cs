using System.Text.Json.Serialization;

namespace Sbuild.Registry;

/// <summary>The registry API's error body: <c>{"errors":[{"code":"MANIFEST_UNKNOWN","message":"…"}]}</c>.</summary>
internal sealed record ErrorBody
{
    [JsonPropertyName("errors")] public List<ErrorEntry>? Errors { get; init; }
}

internal sealed record ErrorEntry
{
    [JsonPropertyName("code")] public string? Code { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }
}

/// <summary>A token endpoint's answer (Docker's token spec): <c>token</c>, or OAuth2's <c>access_token</c>.</summary>
internal sealed record TokenResponse
{
    [JsonPropertyName("token")] public string? Token { get; init; }
    [JsonPropertyName("access_token")] public string? AccessToken { get; init; }
    [JsonPropertyName("expires_in")] public int? ExpiresIn { get; init; }
}

/// <summary>Just enough of a manifest or index to tell them apart and to walk them.</summary>
internal sealed record ManifestProbe
{
    [JsonPropertyName("mediaType")] public string? MediaType { get; init; }
    [JsonPropertyName("manifests")] public List<Sbuild.Core.Descriptor>? Manifests { get; init; }
    [JsonPropertyName("config")] public Sbuild.Core.Descriptor? Config { get; init; }
    [JsonPropertyName("layers")] public List<Sbuild.Core.Descriptor>? Layers { get; init; }
}

[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(ManifestProbe))]
[JsonSerializable(typeof(RegistryOptions.ConfigFile))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext;
