using System.Text;
using System.Text.RegularExpressions;
using Sbuild.Parser.Text;

namespace Sbuild.Parser.Shell;

/// <summary>
/// Go's <c>Regexp.ReplaceAllString</c>: an empty match right after a previous match is not replaced, and
/// <c>$n</c>, <c>${n}</c>, <c>$name</c> and <c>$$</c> in the replacement are template references.
/// (.NET's Regex.Replace differs on both points.)
/// </summary>
internal static class GoRegexReplace
{
    public static string ReplaceAll(Regex regex, string input, string replacement)
    {
        var sb = new StringBuilder();
        int lastMatchEnd = 0;
        int searchPos = 0;
        while (searchPos <= input.Length)
        {
            var m = ShellPattern.SafeMatch(regex, input, searchPos);
            if (!m.Success) break;
            int start = m.Index, end = m.Index + m.Length;
            sb.Append(input, lastMatchEnd, start - lastMatchEnd);
            if (end > lastMatchEnd || start == 0) Expand(sb, replacement, m);
            lastMatchEnd = end;
            int width = searchPos < input.Length && char.IsHighSurrogate(input[searchPos]) && searchPos + 1 < input.Length ? 2 : 1;
            searchPos = searchPos + width > end ? searchPos + width : end;
        }
        sb.Append(input, lastMatchEnd, input.Length - lastMatchEnd);
        return sb.ToString();
    }

    private static void Expand(StringBuilder sb, string template, Match m)
    {
        int i = 0;
        while (i < template.Length)
        {
            int dollar = template.IndexOf('$', i);
            if (dollar < 0)
            {
                sb.Append(template, i, template.Length - i);
                return;
            }
            sb.Append(template, i, dollar - i);
            i = dollar + 1;
            if (i < template.Length && template[i] == '$')
            {
                sb.Append('$');
                i++;
                continue;
            }
            if (!TryExtractName(template, i, out string name, out int next))
            {
                sb.Append('$');
                continue;
            }
            i = next;
            if (IsGroupNumber(name, out int number))
            {
                if (number < m.Groups.Count && m.Groups[number].Success) sb.Append(m.Groups[number].Value);
            }
            // Named groups never exist in shell patterns, so a named reference expands to nothing.
        }
    }

    private static bool TryExtractName(string s, int start, out string name, out int next)
    {
        name = "";
        next = start;
        if (start >= s.Length) return false;
        bool brace = s[start] == '{';
        int i = brace ? start + 1 : start;
        int nameStart = i;
        while (i < s.Length)
        {
            int r = char.IsHighSurrogate(s[i]) && i + 1 < s.Length ? char.ConvertToUtf32(s[i], s[i + 1]) : s[i];
            if (!GoText.IsLetter(r) && !GoText.IsDigit(r) && r != '_') break;
            i += r > 0xFFFF ? 2 : 1;
        }
        if (i == nameStart) return false;
        name = s[nameStart..i];
        if (brace)
        {
            if (i >= s.Length || s[i] != '}') return false;
            i++;
        }
        next = i;
        return true;
    }

    private static bool IsGroupNumber(string name, out int number)
    {
        number = 0;
        if (name.Length > 1 && name[0] == '0') return false;
        foreach (char c in name)
        {
            if (c is < '0' or > '9' || number >= 100_000_000) return false;
            number = number * 10 + (c - '0');
        }
        return true;
    }
}
