using System.Globalization;
using System.Text;
using Pidgin;
using static Pidgin.Parser;
using static Pidgin.Parser<char>;

namespace Sbuild.Parser.Parsing;

/// <summary>Outcome of reading the exec form <c>["a", "b"]</c>.</summary>
internal enum JsonArrayOutcome
{
    /// <summary>A JSON array of strings.</summary>
    Strings,
    /// <summary>Not valid JSON (or not an array): the caller falls back to shell form.</summary>
    NotJson,
    /// <summary>Valid JSON array holding something other than strings: an error, no fallback.</summary>
    NotStringArray,
}

/// <summary>
/// Strict JSON (RFC 8259, as Go's encoding/json accepts it) for exec-form arguments. Pidgin lexes the tokens
/// (strings with escapes, numbers, literals, punctuation); the nesting is then checked with an explicit stack so
/// that deeply nested input cannot overflow the call stack.
/// </summary>
internal static class JsonArray
{
    private const int MaxDepth = 10000; // Go's encoding/json limit; deeper input is a syntax error there too.

    private enum Kind { String, Scalar, Punct }

    private readonly record struct Tok(Kind Kind, string Text);

    private static readonly Parser<char, Unit> Ws = OneOf(' ', '\t', '\n', '\r').SkipMany();

    private static readonly Parser<char, char> Hex = Token(c => c is >= '0' and <= '9' or >= 'a' and <= 'f' or >= 'A' and <= 'F');
    private static readonly Parser<char, char> Digit09 = Token(c => c is >= '0' and <= '9');
    private static readonly Parser<char, char> Digit19 = Token(c => c is >= '1' and <= '9');

    private static readonly Parser<char, char> Escape =
        Char('\\').Then(OneOf(
            Char('"'), Char('\\'), Char('/'),
            Char('b').ThenReturn('\b'), Char('f').ThenReturn('\f'), Char('n').ThenReturn('\n'),
            Char('r').ThenReturn('\r'), Char('t').ThenReturn('\t'),
            Char('u').Then(Hex.Repeat(4)).Select(h => (char)int.Parse(string.Concat(h), NumberStyles.HexNumber, CultureInfo.InvariantCulture))));

    private static readonly Parser<char, Tok> StringTok =
        OneOf(Escape, Token(c => c >= 0x20 && c != '"' && c != '\\'))
            .ManyString()
            .Between(Char('"'))
            .Select(s => new Tok(Kind.String, RepairSurrogates(s)));

    private static readonly Parser<char, Tok> NumberTok =
        Map((sign, intPart, frac, exp) => new Tok(Kind.Scalar, sign + intPart + frac + exp),
            Char('-').Optional().Select(m => m.HasValue ? "-" : ""),
            OneOf(Char('0').Select(c => c.ToString()), Digit19.Then(Digit09.ManyString(), (d, rest) => d + rest)),
            Char('.').Then(Digit09.AtLeastOnceString()).Select(d => "." + d).Optional().Select(m => m.GetValueOrDefault("")),
            OneOf('e', 'E').Then(OneOf('+', '-').Optional(), (_, s) => s.HasValue ? s.Value.ToString() : "")
                .Then(Digit09.AtLeastOnceString(), (s, d) => "e" + s + d)
                .Optional().Select(m => m.GetValueOrDefault("")));

    private static readonly Parser<char, Tok> LiteralTok =
        OneOf(String("true"), String("false"), String("null")).Select(s => new Tok(Kind.Scalar, s));

    private static readonly Parser<char, Tok> PunctTok =
        OneOf('[', ']', '{', '}', ',', ':').Select(c => new Tok(Kind.Punct, c.ToString()));

    private static readonly Parser<char, IEnumerable<Tok>> Tokens =
        Ws.Then(OneOf(StringTok, NumberTok, LiteralTok, PunctTok).Before(Ws).Many()).Before(End);

    /// <summary>Reads <paramref name="text"/> (already starting with '[') as a JSON array of strings.</summary>
    public static (JsonArrayOutcome Outcome, List<string> Items) Read(string text)
    {
        var lexed = Tokens.Parse(text);
        if (!lexed.Success) return (JsonArrayOutcome.NotJson, []);
        var tokens = lexed.Value.ToList();
        return Check(tokens);
    }

    /// <summary>Validates the token structure; collects the top-level array items.</summary>
    private static (JsonArrayOutcome, List<string>) Check(List<Tok> tokens)
    {
        var items = new List<string>();
        bool allStrings = true;
        // Each open container remembers what it expects next.
        var stack = new Stack<(char Container, Expect Next)>();
        int i = 0;
        if (tokens.Count == 0 || tokens[0] is not { Kind: Kind.Punct, Text: "[" }) return (JsonArrayOutcome.NotJson, []);
        stack.Push(('[', Expect.ValueOrClose));
        i++;
        while (i < tokens.Count && stack.Count > 0)
        {
            var tok = tokens[i++];
            var (container, expect) = stack.Pop();
            bool topLevel = stack.Count == 0;
            switch (expect)
            {
                case Expect.ValueOrClose when tok is { Kind: Kind.Punct, Text: "]" } && container == '[':
                case Expect.KeyOrClose when tok is { Kind: Kind.Punct, Text: "}" } && container == '{':
                case Expect.CommaOrClose when tok.Kind == Kind.Punct && tok.Text == (container == '[' ? "]" : "}"):
                    continue; // container closed
                case Expect.CommaOrClose when tok is { Kind: Kind.Punct, Text: "," }:
                    stack.Push((container, container == '[' ? Expect.Value : Expect.Key));
                    continue;
                case Expect.KeyOrClose or Expect.Key when tok.Kind == Kind.String:
                    stack.Push((container, Expect.Colon));
                    continue;
                case Expect.Colon when tok is { Kind: Kind.Punct, Text: ":" }:
                    stack.Push((container, Expect.Value));
                    continue;
                case Expect.Value or Expect.ValueOrClose:
                    stack.Push((container, Expect.CommaOrClose));
                    if (topLevel)
                    {
                        if (tok.Kind == Kind.String) items.Add(tok.Text);
                        else allStrings = false;
                    }
                    if (tok.Kind == Kind.Scalar && IsOverflowingNumber(tok.Text)) return (JsonArrayOutcome.NotJson, []);
                    if (tok.Kind == Kind.Punct)
                    {
                        if (tok.Text is not ("[" or "{")) return (JsonArrayOutcome.NotJson, []);
                        if (stack.Count + 1 > MaxDepth) return (JsonArrayOutcome.NotJson, []);
                        stack.Push((tok.Text[0], tok.Text == "[" ? Expect.ValueOrClose : Expect.KeyOrClose));
                    }
                    continue;
                default:
                    return (JsonArrayOutcome.NotJson, []);
            }
        }
        if (stack.Count > 0 || i != tokens.Count) return (JsonArrayOutcome.NotJson, []);
        return allStrings ? (JsonArrayOutcome.Strings, items) : (JsonArrayOutcome.NotStringArray, []);
    }

    private enum Expect { ValueOrClose, Value, CommaOrClose, KeyOrClose, Key, Colon }

    /// <summary>Go fails to decode numbers outside float64 range, which makes the whole text "not JSON".</summary>
    private static bool IsOverflowingNumber(string text) =>
        text[0] is '-' or (>= '0' and <= '9')
        && double.IsInfinity(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));

    /// <summary>Escaped surrogate halves that do not pair up decode to U+FFFD, as in Go.</summary>
    private static string RepairSurrogates(string s)
    {
        bool clean = true;
        foreach (char c in s) if (char.IsSurrogate(c)) { clean = false; break; }
        if (clean) return s;
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                sb.Append(c).Append(s[i + 1]);
                i++;
            }
            else sb.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
        }
        return sb.ToString();
    }
}
