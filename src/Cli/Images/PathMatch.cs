namespace Sbuild.Cli.Images;

/// <summary>
/// Go's path.Match, which docker's <c>reference=</c> filter uses: <c>*</c> any run of characters but '/', <c>?</c> one
/// character but '/', <c>[a-z]</c> / <c>[^…]</c> classes, <c>\</c> escapes. A malformed pattern matches nothing.
/// </summary>
public static class PathMatch
{
    public static bool Matches(string pattern, string name) => Match(pattern, 0, name, 0);

    private static bool Match(string pattern, int p, string name, int n)
    {
        while (p < pattern.Length)
        {
            switch (pattern[p])
            {
                case '*':
                    // Any run of non-separator characters, shortest first.
                    for (var end = n; ; end++)
                    {
                        if (Match(pattern, p + 1, name, end)) return true;
                        if (end >= name.Length || name[end] == '/') return false;
                    }
                case '?':
                    if (n >= name.Length || name[n] == '/') return false;
                    p++;
                    n++;
                    break;
                case '[':
                    if (n >= name.Length || name[n] == '/') return false;
                    var (matched, next) = MatchClass(pattern, p + 1, name[n]);
                    if (next < 0 || !matched) return false;
                    p = next;
                    n++;
                    break;
                case '\\':
                    if (p + 1 >= pattern.Length) return false;
                    if (n >= name.Length || name[n] != pattern[p + 1]) return false;
                    p += 2;
                    n++;
                    break;
                default:
                    if (n >= name.Length || name[n] != pattern[p]) return false;
                    p++;
                    n++;
                    break;
            }
        }
        return n == name.Length;
    }

    /// <summary>Whether <paramref name="c"/> is in the class starting at <paramref name="p"/> (after '['); the index after ']', or -1 when malformed.</summary>
    private static (bool Matched, int Next) MatchClass(string pattern, int p, char c)
    {
        var negated = p < pattern.Length && pattern[p] == '^';
        if (negated) p++;
        var matched = false;
        var first = true;
        while (p < pattern.Length && (pattern[p] != ']' || first))
        {
            first = false;
            var (low, afterLow) = ClassChar(pattern, p);
            if (afterLow < 0) return (false, -1);
            var high = low;
            p = afterLow;
            if (p + 1 < pattern.Length && pattern[p] == '-' && pattern[p + 1] != ']')
            {
                (high, p) = ClassChar(pattern, p + 1);
                if (p < 0) return (false, -1);
            }
            if (low <= c && c <= high) matched = true;
        }
        if (p >= pattern.Length) return (false, -1);
        return (matched != negated, p + 1);
    }

    private static (char Char, int Next) ClassChar(string pattern, int p)
    {
        if (pattern[p] == '\\') return p + 1 < pattern.Length ? (pattern[p + 1], p + 2) : ('\0', -1);
        return (pattern[p], p + 1);
    }
}
