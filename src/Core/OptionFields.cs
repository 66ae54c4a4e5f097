using System.Text;

namespace Sbuild.Core;

/// <summary>The CSV form of buildx's structured flags (<c>-o</c>, <c>--cache-to</c>, <c>--cache-from</c>): <c>key=value,key="a,b"</c>.</summary>
public static class OptionFields
{
    /// <summary>
    /// The fields as key → value (keys trimmed and lower-cased, values trimmed); a field without <c>=</c> or a key given
    /// twice is an error through <paramref name="error"/>.
    /// </summary>
    public static Dictionary<string, string> Parse(string value, Func<string, SbuildException> error)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in Split(value, error))
        {
            var eq = field.IndexOf('=');
            if (eq < 0) throw error($"\"{field}\" is not key=value");
            var key = field[..eq].Trim();
            if (!fields.TryAdd(key.ToLowerInvariant(), field[(eq + 1)..].Trim())) throw error($"\"{key}\" is given more than once");
        }
        return fields;
    }

    /// <summary>Commas separate fields except inside double quotes; <c>""</c> inside quotes is a literal quote.</summary>
    public static List<string> Split(string value, Func<string, SbuildException> error)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '"')
            {
                if (quoted && i + 1 < value.Length && value[i + 1] == '"') { current.Append('"'); i++; }
                else quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else current.Append(c);
        }
        if (quoted) throw error("a double quote is not closed");
        fields.Add(current.ToString());
        if (fields.Any(f => f.Trim().Length == 0)) throw error("it has an empty field");
        return fields;
    }
}
