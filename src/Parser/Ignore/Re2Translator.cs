using System.Globalization;
using System.Text;

namespace Sbuild.Parser.Ignore;

/// <summary>
/// Translates the Go (RE2) regular expressions that moby/patternmatcher builds from .dockerignore patterns into
/// equivalent .NET expressions. Differences handled: '[' inside a class is a literal in RE2 (a subtraction in .NET),
/// POSIX classes like <c>[:alpha:]</c>, ASCII-only <c>\d \s \w \b</c>, '$' meaning end of text, and '.' / negated
/// classes matching a whole code point. Escapes RE2 rejects are errors (<see cref="FormatException"/>).
/// </summary>
internal static class Re2Translator
{
    private const string SurrogatePair = @"[\uD800-\uDBFF][\uDC00-\uDFFF]";
    private const string Word = "0-9A-Za-z_";

    public static string ToDotNet(string re2)
    {
        var output = new StringBuilder(re2.Length * 2);
        int i = 0;
        while (i < re2.Length)
        {
            char c = re2[i++];
            switch (c)
            {
                case '\\':
                    if (i >= re2.Length) throw new FormatException("trailing backslash");
                    output.Append(EscapeOutsideClass(re2[i++]));
                    break;
                case '[':
                    i = TranslateClass(re2, i, output);
                    break;
                case '.':
                    output.Append("(?:").Append(SurrogatePair).Append(@"|[^\n])");
                    break;
                case '$':
                    output.Append(@"\z");
                    break;
                default:
                    output.Append(c);
                    break;
            }
        }
        return output.ToString();
    }

    private static string EscapeOutsideClass(char c) => c switch
    {
        _ when c < 0x80 && !char.IsAsciiLetterOrDigit(c) => "\\" + c,
        'a' or 'f' or 't' or 'n' or 'r' or 'v' => "\\" + c,
        'd' => "[0-9]",
        'D' => "[^0-9]",
        's' => @"[\t\n\f\r ]",
        'S' => @"[^\t\n\f\r ]",
        'w' => $"[{Word}]",
        'W' => $"[^{Word}]",
        'A' => @"\A",
        'z' => @"\z",
        'b' => $"(?:(?<=[{Word}])(?![{Word}])|(?<![{Word}])(?=[{Word}]))",
        'B' => $"(?:(?<=[{Word}])(?=[{Word}])|(?<![{Word}])(?![{Word}]))",
        _ => throw new FormatException($"unsupported escape \\{c} (escape only wildcards and punctuation)"),
    };

    /// <summary>Reads a class starting after '[' and appends its .NET form; returns the index after ']'.</summary>
    private static int TranslateClass(string re2, int i, StringBuilder output)
    {
        bool negated = i < re2.Length && re2[i] == '^';
        if (negated) i++;
        var items = new StringBuilder();
        bool first = true;
        while (true)
        {
            if (i >= re2.Length) throw new FormatException("missing ']'");
            if (re2[i] == ']' && !first)
            {
                i++;
                break;
            }
            first = false;
            if (re2[i] == '[' && i + 1 < re2.Length && re2[i + 1] == ':' && TryPosixClass(re2, i, items, out int after))
            {
                i = after;
                continue;
            }
            string lo = ClassAtom(re2, ref i, out bool loIsSet);
            if (!loIsSet && i + 1 < re2.Length && re2[i] == '-' && re2[i + 1] != ']')
            {
                i++;
                string hi = ClassAtom(re2, ref i, out bool hiIsSet);
                if (hiIsSet) throw new FormatException("invalid character class range");
                items.Append(lo).Append('-').Append(hi);
            }
            else
            {
                items.Append(lo);
            }
        }
        if (negated) output.Append("(?:").Append(SurrogatePair).Append("|[^").Append(items).Append("])");
        else output.Append('[').Append(items).Append(']');
        return i;
    }

    /// <summary>One class member: a (possibly escaped) character, or a set such as \d.</summary>
    private static string ClassAtom(string re2, ref int i, out bool isSet)
    {
        isSet = false;
        char c = re2[i++];
        if (c != '\\') return Literal(c);
        if (i >= re2.Length) throw new FormatException("trailing backslash");
        char e = re2[i++];
        if (e < 0x80 && !char.IsAsciiLetterOrDigit(e)) return Literal(e);
        isSet = e is 'd' or 's' or 'w';
        return e switch
        {
            'a' => Literal('\a'),
            'f' => Literal('\f'),
            't' => Literal('\t'),
            'n' => Literal('\n'),
            'r' => Literal('\r'),
            'v' => Literal('\v'),
            'd' => "0-9",
            's' => @"\t\n\f\r ",
            'w' => Word,
            _ => throw new FormatException($"unsupported escape \\{e} in a character class"),
        };
    }

    private static bool TryPosixClass(string re2, int i, StringBuilder items, out int after)
    {
        after = i;
        int end = re2.IndexOf(":]", i + 2, StringComparison.Ordinal);
        if (end < 0) return false;
        string name = re2[(i + 2)..end];
        string? ranges = name switch
        {
            "alnum" => "0-9A-Za-z",
            "alpha" => "A-Za-z",
            "ascii" => @"\x00-\x7F",
            "blank" => @"\t ",
            "cntrl" => @"\x00-\x1F\x7F",
            "digit" => "0-9",
            "graph" => @"!-~",
            "lower" => "a-z",
            "print" => @" -~",
            "punct" => @"!-/:-@\[-`{-~",
            "space" => @"\t\n\v\f\r ",
            "upper" => "A-Z",
            "word" => Word,
            "xdigit" => "0-9A-Fa-f",
            _ => null,
        };
        if (ranges is null) throw new FormatException($"invalid character class [:{name}:]");
        items.Append(ranges);
        after = end + 2;
        return true;
    }

    private static string Literal(char c) => "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture);
}
