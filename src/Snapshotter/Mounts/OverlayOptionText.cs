using System.Text;

namespace Sbuild.Snapshotter;

/// <summary>
/// The escaping overlayfs applies to its option string: options are separated by ',', lower directories by ':',
/// and a backslash makes the next character literal.
/// </summary>
internal static class OverlayOptionText
{
    public static string Escape(string path)
    {
        if (path.IndexOfAny(['\\', ',', ':']) < 0) return path;
        var escaped = new StringBuilder(path.Length + 8);
        foreach (var c in path)
        {
            if (c is '\\' or ',' or ':') escaped.Append('\\');
            escaped.Append(c);
        }
        return escaped.ToString();
    }

    /// <summary>Splits at unescaped <paramref name="separator"/>s; escapes are kept (the parts are still escaped text).</summary>
    public static List<string> Split(string text, char separator)
    {
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\') i++;
            else if (text[i] == separator)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }
        parts.Add(text[start..]);
        return parts;
    }

    public static string Unescape(string part)
    {
        if (part.IndexOf('\\') < 0) return part;
        var plain = new StringBuilder(part.Length);
        for (var i = 0; i < part.Length; i++)
        {
            if (part[i] == '\\' && i + 1 < part.Length) i++;
            plain.Append(part[i]);
        }
        return plain.ToString();
    }
}
