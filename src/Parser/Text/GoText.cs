using System.Text;

namespace Sbuild.Parser.Text;

/// <summary>
/// Text primitives with the exact semantics of the Go functions BuildKit uses (unicode.IsSpace, strings.TrimSpace,
/// the <c>[\t\v\f\r ]+</c> splitter), so that word boundaries agree with the reference parser.
/// </summary>
internal static class GoText
{
    /// <summary>Go's unicode.IsSpace; .NET's char.IsWhiteSpace covers exactly the same BMP set.</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c);

    /// <summary>Go's unicode.IsSpace for a code point.</summary>
    public static bool IsSpace(int rune) => rune <= 0xFFFF ? char.IsWhiteSpace((char)rune) : false;

    /// <summary>The ASCII blanks of BuildKit's <c>reWhitespace</c> (note: no newline).</summary>
    public static bool IsAsciiBlank(char c) => c is '\t' or '\v' or '\f' or '\r' or ' ';

    /// <summary>strings.TrimSpace.</summary>
    public static string TrimSpace(string s) => s.Trim();

    /// <summary>bytes.TrimLeftFunc(s, unicode.IsSpace).</summary>
    public static string TrimLeftSpace(string s) => s.TrimStart();

    /// <summary>
    /// Go's <c>reWhitespace.Split(s, limit)</c>: at most <paramref name="limit"/> parts (all when not positive),
    /// the last part keeps the rest unsplit.
    /// </summary>
    public static List<string> SplitBlanks(string s, int limit)
    {
        if (s.Length == 0) return [""];
        var parts = new List<string>();
        int beg = 0, end = 0, i = 0;
        while (i < s.Length)
        {
            if (!IsAsciiBlank(s[i])) { i++; continue; }
            if (limit > 0 && parts.Count == limit - 1) break;
            int matchStart = i;
            while (i < s.Length && IsAsciiBlank(s[i])) i++;
            end = matchStart;
            parts.Add(s[beg..end]);
            beg = i;
        }
        if (end != s.Length) parts.Add(s[beg..]);
        return parts;
    }

    /// <summary>Code points of <paramref name="s"/>; lone surrogates become U+FFFD like invalid UTF-8 does in Go.</summary>
    public static int[] ToRunes(string s)
    {
        var runes = new List<int>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                runes.Add(char.ConvertToUtf32(c, s[i + 1]));
                i++;
            }
            else
            {
                runes.Add(char.IsSurrogate(c) ? 0xFFFD : c);
            }
        }
        return [.. runes];
    }

    public static void AppendRune(StringBuilder sb, int rune)
    {
        if (rune < 0) return;
        if (rune <= 0xFFFF) sb.Append((char)rune);
        else sb.Append(char.ConvertFromUtf32(rune));
    }

    public static string RuneToString(int rune) => rune < 0 ? "\uFFFD" : rune <= 0xFFFF ? ((char)rune).ToString() : char.ConvertFromUtf32(rune);

    public static bool IsLetter(int rune) => rune >= 0 && Rune.IsValid(rune) && Rune.IsLetter(new Rune(rune));

    public static bool IsDigit(int rune) => rune >= 0 && Rune.IsValid(rune) && Rune.IsDigit(new Rune(rune));
}
