using System.Text.RegularExpressions;

namespace Sbuild.Parser.Binding;

/// <summary>Which ARG and ENV names look like they hold secrets (BuildKit v0.32's word lists).</summary>
public static partial class SecretNames
{
    /// <summary>
    /// BuildKit's SecretsUsedInArgOrEnv test of an ARG or ENV name: a secret-like word as a whole <c>_</c>-separated
    /// word, case-insensitive, and none of the words that mark a name as not secret.
    /// </summary>
    public static bool LooksSecret(string name) => SecretName().IsMatch(name) && !AllowedName().IsMatch(name);

    [GeneratedRegex("(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    [GeneratedRegex("(?:_|^)(?:public|file|version)(?:_|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AllowedName();
}
