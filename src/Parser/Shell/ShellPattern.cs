using System.Text;
using System.Text.RegularExpressions;
using Sbuild.Parser.Text;

namespace Sbuild.Parser.Shell;

/// <summary>
/// Shell wildcard patterns of <c>${a#p}</c>, <c>${a%p}</c> and <c>${a/p/r}</c>: <c>*</c> any string, <c>?</c> one character,
/// <c>\x</c> a literal (only <c>\*</c>, <c>\?</c>, <c>\\</c>, plus <c>\}</c> and <c>\/</c> which just drop the backslash).
/// Bracket expressions are not supported (taken literally). Matching is done on code points.
/// </summary>
internal static class ShellPattern
{
    // One code point (a surrogate pair counts as one), never a newline — like RE2's "." on UTF-8.
    private const string AnyRune = @"(?:[\uD800-\uDBFF][\uDC00-\uDFFF]|[^\n])";

    public static Regex ToRegex(string pattern, bool greedy, bool anchored)
    {
        var sb = new StringBuilder();
        if (anchored) sb.Append('^');
        string star = AnyRune + (greedy ? "*" : "*?");
        int stars = 0;
        int[] runes = GoText.ToRunes(pattern);
        int i = runes.Length > 0 && runes[0] == 0xFEFF ? 1 : 0; // text/scanner skips a leading BOM
        for (; i < runes.Length; i++)
        {
            int tok = runes[i];
            switch (tok)
            {
                case '*':
                    sb.Append(star);
                    stars++;
                    continue;
                case '?':
                    sb.Append(AnyRune);
                    continue;
                case '\\':
                    int following = i + 1 < runes.Length ? runes[i + 1] : -1;
                    // "}" and "/" are escaped only so they do not end the ${...}; the backslash is not part of the pattern.
                    if (following is '}' or '/') continue;
                    if (following is not ('*' or '?' or '\\'))
                        throw new ShellSyntaxException($"invalid pattern ({pattern}) in substitution: invalid escape '\\{(following < 0 ? "" : GoText.RuneToString(following))}'");
                    sb.Append('\\');
                    GoText.AppendRune(sb, following);
                    i++;
                    continue;
                case '[' or ']' or '{' or '}' or '.' or '+' or '(' or ')' or '|' or '^' or '$':
                    sb.Append('\\');
                    GoText.AppendRune(sb, tok);
                    continue;
                default:
                    // Characters that are only special in .NET syntax (e.g. '#', whitespace) are harmless without
                    // IgnorePatternWhitespace; escape them anyway to be safe.
                    sb.Append(Regex.Escape(GoText.RuneToString(tok)));
                    continue;
            }
        }
        // Several wildcards can make a backtracking engine take exponential time where Go's RE2 is linear;
        // the non-backtracking engine finds the same (leftmost, lazy/greedy-respecting) matches but costs more to build.
        var options = RegexOptions.CultureInvariant | (stars > 1 ? RegexOptions.NonBacktracking : RegexOptions.None);
        return new Regex(sb.ToString(), options, TimeSpan.FromSeconds(10));
    }

    /// <summary>Runs a match, turning a (theoretical) timeout into an expansion error instead of a crash.</summary>
    public static Match SafeMatch(Regex regex, string input, int start = 0)
    {
        try
        {
            return regex.Match(input, start);
        }
        catch (RegexMatchTimeoutException)
        {
            throw new ShellSyntaxException($"pattern {regex} is too expensive to match");
        }
    }

    /// <summary><c>${value#pattern}</c> / <c>${value##pattern}</c>.</summary>
    public static string TrimPrefix(string pattern, string value, bool greedy)
    {
        var match = SafeMatch(ToRegex(pattern, greedy, anchored: true), value);
        return match.Success ? value[(match.Index + match.Length)..] : value;
    }

    /// <summary>
    /// <c>${value%pattern}</c> / <c>${value%%pattern}</c>: a regex cannot find the shortest rightmost match, so both
    /// the pattern and the value are reversed and the prefix rule applied.
    /// </summary>
    public static string TrimSuffix(string pattern, string value, bool greedy) =>
        ReverseRunes(TrimPrefix(ReversePattern(pattern), ReverseRunes(value), greedy));

    /// <summary><c>${value/pattern/replacement}</c> (first match) or <c>${value//pattern/replacement}</c> (all).</summary>
    public static string Replace(string pattern, string value, string replacement, bool all)
    {
        var regex = ToRegex(pattern, greedy: true, anchored: false);
        if (!all)
        {
            var first = SafeMatch(regex, value);
            return first.Success ? value[..first.Index] + replacement + value[(first.Index + first.Length)..] : value;
        }
        return GoRegexReplace.ReplaceAll(regex, value, replacement);
    }

    /// <summary>Reverses a pattern while keeping escape pairs (<c>\*</c>) in order: <c>a\*c</c> becomes <c>c\*a</c>.</summary>
    internal static string ReversePattern(string pattern)
    {
        int[] runes = GoText.ToRunes(pattern);
        var output = new int[runes.Length];
        int last = runes.Length - 1;
        for (int i = 0; i <= last;)
        {
            int outIdx = last - i;
            if (runes[i] == '\\' && i != last)
            {
                output[outIdx - 1] = runes[i];
                output[outIdx] = runes[i + 1];
                i += 2;
            }
            else
            {
                output[outIdx] = runes[i];
                i++;
            }
        }
        var sb = new StringBuilder(pattern.Length);
        foreach (int r in output) GoText.AppendRune(sb, r);
        return sb.ToString();
    }

    internal static string ReverseRunes(string s)
    {
        int[] runes = GoText.ToRunes(s);
        Array.Reverse(runes);
        var sb = new StringBuilder(s.Length);
        foreach (int r in runes) GoText.AppendRune(sb, r);
        return sb.ToString();
    }
}
