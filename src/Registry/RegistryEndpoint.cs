namespace Sbuild.Registry;

/// <summary>
/// A place to talk the distribution API to: <paramref name="BaseUri"/> is <c>scheme://host[:port]</c> (the API is under
/// <c>/v2/</c>); <paramref name="Registry"/> is the <c>host[:port]</c> its credentials are stored under.
/// </summary>
public sealed record RegistryEndpoint(string Registry, Uri BaseUri, bool IsMirror)
{
    /// <summary>Where Docker Hub's API really lives (<c>docker.io</c> is only its name).</summary>
    public static readonly Uri DockerHubApi = new("https://registry-1.docker.io");

    public Uri Api(string pathAndQuery) => new(BaseUri, "/v2/" + pathAndQuery);

    /// <summary>What error messages show: scheme, host and port; never a path or query that could carry a secret.</summary>
    public override string ToString() => BaseUri.GetLeftPart(UriPartial.Authority);
}
