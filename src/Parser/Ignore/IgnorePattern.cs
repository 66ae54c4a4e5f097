using System.Text;
using System.Text.RegularExpressions;

namespace Sbuild.Parser.Ignore;

/// <summary>
/// One cleaned .dockerignore pattern, matched like moby/patternmatcher: literal patterns compare exactly,
/// <c>prefix/**</c> and <c>**suffix</c> compare by prefix/suffix, anything else through a regular expression where
/// <c>*</c> and <c>?</c> stay within one path element and <c>**</c> spans any number of elements.
/// </summary>
internal sealed class IgnorePattern
{
    private enum MatchKind { Exact, Prefix, Suffix, Regex }

    // One code point except '/': a surrogate pair counts as one character, like a rune in Go.
    private const string OneRuneNotSlash = @"(?:[\uD800-\uDBFF][\uDC00-\uDFFF]|[^/])";

    private readonly MatchKind _kind;
    private readonly Regex? _regex;

    public IgnorePattern(string cleaned, bool exclusion)
    {
        Text = cleaned;
        IsException = exclusion;
        (_kind, _regex) = Compile(cleaned);
    }

    /// <summary>The pattern without its leading '!'.</summary>
    public string Text { get; }

    /// <summary>A <c>!pattern</c> that re-includes what earlier patterns excluded.</summary>
    public bool IsException { get; }

    public bool Matches(string path) => _kind switch
    {
        MatchKind.Exact => path == Text,
        MatchKind.Prefix => path.StartsWith(Text[..^2], StringComparison.Ordinal),
        MatchKind.Suffix => path.EndsWith(Text[2..], StringComparison.Ordinal)
            || (Text.Length > 2 && Text[2] == '/' && path == Text[3..]),
        _ => _regex!.IsMatch(path),
    };

    /// <summary>Whether this pattern could match some path strictly below <paramref name="dir"/> (conservative).</summary>
    public bool MayMatchBelow(string dir)
    {
        string below = dir + "/";
        switch (_kind)
        {
            case MatchKind.Exact:
                return Text.StartsWith(below, StringComparison.Ordinal);
            case MatchKind.Prefix:
                string prefix = Text[..^2];
                return prefix.StartsWith(below, StringComparison.Ordinal) || below.StartsWith(prefix, StringComparison.Ordinal);
            case MatchKind.Suffix:
                return true;
        }
        // Brackets and escapes could match '/' itself: do not try to be clever.
        if (Text.Contains('[') || Text.Contains('\\')) return true;
        string[] patternParts = Text.Split('/');
        string[] dirParts = dir.Split('/');
        for (int i = 0; i < dirParts.Length; i++)
        {
            // Elements are compared one by one until a "**", which may span any number of directories.
            if (i >= patternParts.Length) return false;
            if (patternParts[i].Contains("**", StringComparison.Ordinal)) return true;
            if (!ElementRegex(patternParts[i]).IsMatch(dirParts[i])) return false;
        }
        return patternParts.Length > dirParts.Length;
    }

    private static Regex ElementRegex(string element)
    {
        var sb = new StringBuilder("^");
        foreach (char c in element)
        {
            sb.Append(c switch
            {
                '*' => OneRuneNotSlash + "*",
                '?' => OneRuneNotSlash,
                _ => Regex.Escape(c.ToString()),
            });
        }
        return new Regex(sb.Append(@"\z").ToString(), RegexOptions.CultureInvariant);
    }

    /// <summary>
    /// Builds the same RE2 expression moby/patternmatcher builds (literal, prefix and suffix patterns skip it), then
    /// translates it for .NET.
    /// </summary>
    private static (MatchKind, Regex?) Compile(string pattern)
    {
        var re = new StringBuilder("^");
        var kind = MatchKind.Exact;
        for (int i = 0; i < pattern.Length; i++)
        {
            char ch = pattern[i];
            bool first = i == 0;
            if (ch == '*')
            {
                if (i + 1 < pattern.Length && pattern[i + 1] == '*')
                {
                    i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/') i++; // "**/" is the same as "**"
                    if (i + 1 == pattern.Length)
                    {
                        // Trailing "**" accepts everything below, like .gitignore.
                        if (kind == MatchKind.Exact) kind = MatchKind.Prefix;
                        else
                        {
                            re.Append(".*");
                            kind = MatchKind.Regex;
                        }
                    }
                    else
                    {
                        re.Append("(.*/)?");
                        kind = MatchKind.Regex;
                    }
                    if (first) kind = MatchKind.Suffix;
                }
                else
                {
                    re.Append("[^/]*");
                    kind = MatchKind.Regex;
                }
            }
            else if (ch == '?')
            {
                re.Append("[^/]");
                kind = MatchKind.Regex;
            }
            else if (ch is '.' or '+' or '(' or ')' or '|' or '{' or '}' or '$')
            {
                re.Append('\\').Append(ch);
            }
            else if (ch == '\\')
            {
                if (i + 1 < pattern.Length)
                {
                    re.Append('\\').Append(pattern[++i]);
                    kind = MatchKind.Regex;
                }
                else re.Append('\\');
            }
            else if (ch is '[' or ']')
            {
                re.Append(ch);
                kind = MatchKind.Regex;
            }
            else
            {
                re.Append(ch);
            }
        }
        if (kind != MatchKind.Regex) return (kind, null);
        string dotnet = Re2Translator.ToDotNet(re.Append('$').ToString());
        try
        {
            return (kind, new Regex(dotnet, RegexOptions.CultureInvariant));
        }
        catch (ArgumentException)
        {
            // e.g. a reversed range "[z-a]": BuildKit fails on such a pattern when it first evaluates it.
            throw new FormatException("the pattern is not a valid expression");
        }
    }
}
