namespace Sbuild.Parser.Ignore;

/// <summary>
/// Syntax check of Go's <c>filepath.Match</c> patterns: <c>*</c>, <c>?</c>, <c>[</c>[<c>^</c>]ranges<c>]</c>,
/// <c>\c</c>. BuildKit rejects a .dockerignore pattern exactly when filepath.Match reports ErrBadPattern.
/// </summary>
internal static class GoGlob
{
    public static bool IsValid(string pattern)
    {
        string rest = pattern;
        while (rest.Length > 0)
        {
            (string chunk, rest) = ScanChunk(rest);
            if (!IsValidChunk(chunk)) return false;
        }
        return true;
    }

    /// <summary>Skips leading stars, then takes text up to the next star outside brackets.</summary>
    private static (string Chunk, string Remainder) ScanChunk(string pattern)
    {
        int start = 0;
        while (start < pattern.Length && pattern[start] == '*') start++;
        bool inRange = false;
        int i = start;
        for (; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '\\') { if (i + 1 < pattern.Length) i++; }
            else if (c == '[') inRange = true;
            else if (c == ']') inRange = false;
            else if (c == '*' && !inRange) break;
        }
        return (pattern[start..i], pattern[i..]);
    }

    private static bool IsValidChunk(string chunk)
    {
        int i = 0;
        while (i < chunk.Length)
        {
            switch (chunk[i])
            {
                case '[':
                    i++;
                    if (i < chunk.Length && chunk[i] == '^') i++;
                    int ranges = 0;
                    while (true)
                    {
                        if (i < chunk.Length && chunk[i] == ']' && ranges > 0)
                        {
                            i++;
                            break;
                        }
                        if (!TryEscapedChar(chunk, ref i)) return false;
                        if (chunk[i] == '-')
                        {
                            i++;
                            if (!TryEscapedChar(chunk, ref i)) return false;
                        }
                        ranges++;
                    }
                    break;
                case '\\':
                    i++;
                    if (i >= chunk.Length) return false;
                    i += char.IsSurrogatePair(chunk, i) ? 2 : 1;
                    break;
                default:
                    i++;
                    break;
            }
        }
        return true;
    }

    /// <summary>One (possibly escaped) character of a range; something must follow it.</summary>
    private static bool TryEscapedChar(string chunk, ref int i)
    {
        if (i >= chunk.Length || chunk[i] is '-' or ']') return false;
        if (chunk[i] == '\\')
        {
            i++;
            if (i >= chunk.Length) return false;
        }
        i += char.IsSurrogatePair(chunk, i) ? 2 : 1;
        return i < chunk.Length;
    }
}
