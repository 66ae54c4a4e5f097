using System.Text;

namespace Sbuild.Parser.Ignore;

/// <summary>
/// Go's <c>filepath.Match</c> on Linux: <c>*</c> (any run of non-<c>/</c> characters), <c>?</c> (one non-<c>/</c>
/// character), <c>[</c>[<c>^</c>]ranges<c>]</c> (<c>a-z</c>, escapes inside), <c>\c</c> (c itself). Characters are
/// Unicode code points, as Go's runes. A malformed pattern is ErrBadPattern, which Go reports even when the name has
/// already failed to match; BuildKit rejects a .dockerignore pattern and a COPY source exactly then.
/// </summary>
public static class GoGlob
{
    public static bool IsValid(string pattern) => TryMatch(pattern, "", out _);

    /// <summary>Whether <paramref name="name"/> matches; false with <paramref name="matched"/> unset for a malformed pattern.</summary>
    public static bool TryMatch(string pattern, string name, out bool matched)
    {
        var p = Runes(pattern);
        var n = Runes(name);
        matched = false;
        int pi = 0, ni = 0;
        while (pi < p.Length)
        {
            var (star, chunkStart, chunkEnd) = ScanChunk(p, pi);
            pi = chunkEnd;
            // A trailing star matches the rest unless it holds a separator.
            if (star && chunkStart == chunkEnd)
            {
                matched = Array.IndexOf(n, (int)'/', ni) < 0;
                return true;
            }
            var (end, ok, bad) = MatchChunk(p, chunkStart, chunkEnd, n, ni);
            // The last chunk must use up the name.
            if (ok && (end == n.Length || pi < p.Length))
            {
                ni = end;
                continue;
            }
            if (bad) return false;
            if (star && TrySkip(p, chunkStart, chunkEnd, n, ref ni, lastChunk: pi == p.Length, out bad)) continue;
            if (bad) return false;
            // No match; the rest of the pattern must still be well formed.
            while (pi < p.Length)
            {
                (_, chunkStart, pi) = ScanChunk(p, pi);
                if (MatchChunk(p, chunkStart, pi, n, n.Length).Bad) return false;
            }
            return true;
        }
        matched = ni == n.Length;
        return true;
    }

    /// <summary>After a star: the chunk matched further on, skipping one more character each time but never a separator.</summary>
    private static bool TrySkip(int[] p, int chunkStart, int chunkEnd, int[] n, ref int ni, bool lastChunk, out bool bad)
    {
        bad = false;
        for (var i = ni; i < n.Length && n[i] != '/'; i++)
        {
            var (end, ok, isBad) = MatchChunk(p, chunkStart, chunkEnd, n, i + 1);
            if (ok)
            {
                if (lastChunk && end < n.Length) continue;
                ni = end;
                return true;
            }
            if (isBad)
            {
                bad = true;
                return false;
            }
        }
        return false;
    }

    /// <summary>Skips leading stars, then takes text up to the next star outside brackets.</summary>
    private static (bool Star, int Start, int End) ScanChunk(int[] p, int from)
    {
        var start = from;
        while (start < p.Length && p[start] == '*') start++;
        var inRange = false;
        var i = start;
        for (; i < p.Length; i++)
        {
            switch (p[i])
            {
                case '\\':
                    if (i + 1 < p.Length) i++;
                    break;
                case '[':
                    inRange = true;
                    break;
                case ']':
                    inRange = false;
                    break;
                case '*' when !inRange:
                    return (start > from, start, i);
            }
        }
        return (start > from, start, i);
    }

    /// <summary>
    /// Matches one chunk (no stars) at the start of <c>n[ni..]</c>: where the match ends, whether it matched, and
    /// whether the chunk is malformed. The whole chunk is read even after a mismatch, so a bad one is always seen.
    /// </summary>
    private static (int End, bool Ok, bool Bad) MatchChunk(int[] p, int ci, int chunkEnd, int[] n, int ni)
    {
        var failed = false;
        while (ci < chunkEnd)
        {
            if (!failed && ni >= n.Length) failed = true;
            switch (p[ci])
            {
                case '[':
                    var r = failed ? -1 : n[ni++];
                    ci++;
                    var negated = ci < chunkEnd && p[ci] == '^';
                    if (negated) ci++;
                    var match = false;
                    for (var ranges = 0; ; ranges++)
                    {
                        if (ci < chunkEnd && p[ci] == ']' && ranges > 0)
                        {
                            ci++;
                            break;
                        }
                        if (!RangeEnd(p, ref ci, chunkEnd, out var lo)) return (0, false, true);
                        var hi = lo;
                        if (p[ci] == '-')
                        {
                            ci++;
                            if (!RangeEnd(p, ref ci, chunkEnd, out hi)) return (0, false, true);
                        }
                        if (lo <= r && r <= hi) match = true;
                    }
                    if (match == negated) failed = true;
                    break;
                case '?':
                    if (!failed && n[ni++] == '/') failed = true;
                    ci++;
                    break;
                case '\\':
                    ci++;
                    if (ci >= chunkEnd) return (0, false, true);
                    goto default;
                default:
                    if (!failed && p[ci] != n[ni++]) failed = true;
                    ci++;
                    break;
            }
        }
        return failed ? (0, false, false) : (ni, true, false);
    }

    /// <summary>One (possibly escaped) end of a range; something must follow it (the closing bracket at least).</summary>
    private static bool RangeEnd(int[] p, ref int ci, int chunkEnd, out int rune)
    {
        rune = 0;
        if (ci >= chunkEnd || p[ci] is '-' or ']') return false;
        if (p[ci] == '\\' && ++ci >= chunkEnd) return false;
        rune = p[ci++];
        return ci < chunkEnd;
    }

    private static int[] Runes(string text)
    {
        var runes = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes()) runes.Add(rune.Value);
        return [.. runes];
    }
}
