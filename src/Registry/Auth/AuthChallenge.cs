using System.Net.Http.Headers;

namespace Sbuild.Registry.Auth;

/// <summary>A <c>WWW-Authenticate</c> challenge: <c>Basic realm="…"</c> or <c>Bearer realm="…",service="…",scope="…"</c>.</summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);
    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);
    public string? Realm => Parameters.GetValueOrDefault("realm");
    public string? Service => Parameters.GetValueOrDefault("service");

    /// <summary>The first challenge of a response that sbuild can answer (Bearer preferred, then Basic), or null.</summary>
    public static AuthChallenge? From(HttpResponseHeaders headers)
    {
        var challenges = headers.WwwAuthenticate.Select(h => Parse(h.Scheme, h.Parameter)).ToList();
        return challenges.FirstOrDefault(c => c.IsBearer) ?? challenges.FirstOrDefault(c => c.IsBasic);
    }

    /// <summary>Parses the auth-param list <c>k="v", k2=v2</c> (quoted values may hold commas and <c>\"</c>).</summary>
    public static AuthChallenge Parse(string scheme, string? parameters)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var text = parameters ?? "";
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i]))) i++;
            var eq = text.IndexOf('=', i);
            if (eq < 0) break;
            var key = text[i..eq].Trim();
            i = eq + 1;
            var value = new System.Text.StringBuilder();
            if (i < text.Length && text[i] == '"')
            {
                for (i++; i < text.Length && text[i] != '"'; i++)
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    value.Append(text[i]);
                }
                i++;
            }
            else
            {
                for (; i < text.Length && text[i] != ','; i++) value.Append(text[i]);
            }
            if (key.Length > 0) result[key] = value.ToString().Trim();
        }
        return new AuthChallenge(scheme, result);
    }
}
