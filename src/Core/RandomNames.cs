namespace Sbuild.Core;

/// <summary>
/// Random hex for names that must not collide (lease IDs, build IDs, bundles), never for secrets: from
/// <see cref="Random.Shared"/>, which the OS seeds, so that naming something does not load OpenSSL as .NET's
/// cryptographic generator does on Linux (see <see cref="Sha256"/>).
/// </summary>
public static class RandomNames
{
    public static string Hex(int bytes)
    {
        Span<byte> random = stackalloc byte[bytes];
        Random.Shared.NextBytes(random);
        return Convert.ToHexStringLower(random);
    }
}
