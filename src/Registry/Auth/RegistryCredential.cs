namespace Sbuild.Registry.Auth;

/// <summary>
/// A user name and a secret (password, personal access token or identity token) for one registry.
/// <see cref="ToString"/> masks the secret, so a credential that ends up in a log or an exception message does not leak it.
/// </summary>
public sealed record RegistryCredential(string Username, string Secret)
{
    /// <summary>Docker's marker user name: the secret is an OAuth2 refresh ("identity") token, not a password.</summary>
    public const string IdentityTokenUsername = "<token>";

    public static RegistryCredential IdentityToken(string token) => new(IdentityTokenUsername, token);

    /// <summary>True when <see cref="Secret"/> must be sent as a refresh_token to the token endpoint, not as a Basic password.</summary>
    public bool IsIdentityToken => Username == IdentityTokenUsername;

    public override string ToString() => $"RegistryCredential {{ Username = {Username}, Secret = *** }}";
}
