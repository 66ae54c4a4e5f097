using Pidgin;
using Sbuild.Core;
using static Pidgin.Parser;
using static Pidgin.Parser<char>;

namespace Sbuild.Parser.Parsing;

/// <summary>
/// Recognises parser directives (<c># syntax=</c>, <c># escape=</c>, <c># check=</c>). They are only honoured at the very
/// top of the file: the first line that is not a directive (a blank line, another comment, an instruction) ends the
/// directive section for good. Keys are case-insensitive; each may appear once.
/// </summary>
internal sealed class ParserDirectives
{
    private static readonly HashSet<string> Known = ["syntax", "escape", "check"];

    // Go's \s (RE2, ASCII): space, \t, \n, \f, \r — note: no \v.
    private static readonly Parser<char, char> ReSpace = OneOf(' ', '\t', '\n', '\f', '\r');
    private static readonly Parser<char, char> AsciiLetter = Token(c => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z');
    private static readonly Parser<char, char> AsciiAlnum = Token(c => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9');

    /// <summary><c>name \s* = rest</c>; the value rules of the reference regex are applied in <see cref="ValueOf"/>.</summary>
    private static readonly Parser<char, (string Name, string Value)> Directive =
        Map((first, tail, _, rest) => (first + tail, rest),
            AsciiLetter,
            AsciiAlnum.ManyString(),
            ReSpace.SkipMany().Then(Char('=')),
            Any.ManyString().Before(End));

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private bool _done;

    public IReadOnlyDictionary<string, string> Values => _values;

    public char EscapeToken { get; private set; } = '\\';

    /// <summary>
    /// Inspects a line (already left-trimmed) while the directive section is open.
    /// Returns true when the line was a directive. Throws for an invalid escape token or a repeated directive.
    /// </summary>
    public bool Inspect(string line, Func<string, DockerfileException> error)
    {
        if (_done) return false;
        if (!line.StartsWith('#'))
        {
            _done = true;
            return false;
        }
        var parsed = Directive.Parse(line.AsSpan(1).TrimStart().ToString());
        string? value = parsed.Success ? ValueOf(parsed.Value.Value) : null;
        string key = parsed.Success ? parsed.Value.Name.ToLowerInvariant() : "";
        if (value is null || !Known.Contains(key))
        {
            _done = true;
            return false;
        }
        if (_values.ContainsKey(key)) throw error($"only one {key} parser directive can be used");
        _values[key] = value;
        if (key == "escape")
        {
            if (value is not ("`" or "\\"))
                throw error($"invalid escape token '{value}' does not match ` or \\");
            EscapeToken = value[0];
        }
        return true;
    }

    /// <summary>
    /// The reference pattern is <c>\s*(.+?)\s*$</c> after '=': surrounding blanks are dropped, but a value made only of
    /// blanks keeps its last blank (the lazy group must take one character).
    /// </summary>
    private static string? ValueOf(string rest)
    {
        if (rest.Length == 0) return null;
        string trimmed = rest.TrimStart(' ', '\t', '\n', '\f', '\r');
        if (trimmed.Length == 0) return rest[^1..];
        return trimmed.TrimEnd(' ', '\t', '\n', '\f', '\r');
    }
}
