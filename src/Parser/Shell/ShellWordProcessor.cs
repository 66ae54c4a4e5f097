using System.Text;
using Sbuild.Parser.Text;

namespace Sbuild.Parser.Shell;

/// <summary>One expansion run of <see cref="ShellLex"/> over one input word (not reusable, not thread-safe).</summary>
internal sealed class ShellWordProcessor
{
    private const int Eof = -1;

    private readonly ShellLex _lex;
    private readonly int[] _runes;
    private readonly IReadOnlyDictionary<string, string> _env;
    private int _pos;
    private bool _rawEscapes;

    public HashSet<string> Matched { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Unmatched { get; } = new(StringComparer.Ordinal);

    public ShellWordProcessor(ShellLex lex, string word, IReadOnlyDictionary<string, string> env)
    {
        _lex = lex;
        _runes = GoText.ToRunes(word);
        _env = env;
        _rawEscapes = lex.RawEscapes;
        // Like Go's text/scanner, a byte-order mark at the very start is skipped.
        if (_runes.Length > 0 && _runes[0] == 0xFEFF) _pos = 1;
    }

    private int Peek() => _pos < _runes.Length ? _runes[_pos] : Eof;

    private int Next() => _pos < _runes.Length ? _runes[_pos++] : Eof;

    public (string Result, List<string> Words) ProcessAll() => ProcessStopOn(Eof, _rawEscapes);

    /// <summary>Processes until <paramref name="stop"/> (consumed) or end of input.</summary>
    private (string Result, List<string> Words) ProcessStopOn(int stop, bool rawEscapes)
    {
        var result = new StringBuilder();
        var words = new WordCollector();
        bool saved = _rawEscapes;
        _rawEscapes = rawEscapes;
        try
        {
            while (Peek() != Eof)
            {
                int ch = Peek();
                if (stop != Eof && ch == stop)
                {
                    Next();
                    return (result.ToString(), words.Finish());
                }
                switch (ch)
                {
                    case '$':
                    {
                        string value = ProcessDollar();
                        result.Append(value);
                        words.AddString(value); // expanded text is split on whitespace
                        continue;
                    }
                    case '<':
                    {
                        string value = ProcessPossibleHeredoc();
                        result.Append(value);
                        words.AddRawString(value);
                        continue;
                    }
                    case '\'' when !_lex.SkipProcessQuotes:
                    {
                        string value = ProcessSingleQuote();
                        result.Append(value);
                        words.AddRawString(value);
                        continue;
                    }
                    case '"' when !_lex.SkipProcessQuotes:
                    {
                        string value = ProcessDoubleQuote();
                        result.Append(value);
                        words.AddRawString(value);
                        continue;
                    }
                }
                ch = Next();
                if (ch == _lex.EscapeToken)
                {
                    if (_rawEscapes)
                    {
                        words.AddRawChar(ch);
                        GoText.AppendRune(result, ch);
                    }
                    ch = Next();
                    if (ch == Eof) break; // an escape token at the end is dropped
                    words.AddRawChar(ch);
                }
                else
                {
                    words.AddChar(ch);
                }
                GoText.AppendRune(result, ch);
            }
            if (stop != Eof)
                throw new ShellSyntaxException($"unexpected end of statement while looking for matching {GoText.RuneToString(stop)}");
            return (result.ToString(), words.Finish());
        }
        finally
        {
            _rawEscapes = saved;
        }
    }

    private string ProcessSingleQuote()
    {
        // Everything up to the next single quote is literal; a single quote cannot be escaped inside.
        var sb = new StringBuilder();
        int ch = Next();
        if (_lex.RawQuotes) GoText.AppendRune(sb, ch);
        while (true)
        {
            ch = Next();
            if (ch == Eof) throw new ShellSyntaxException("unexpected end of statement while looking for matching single-quote");
            if (ch == '\'')
            {
                if (_lex.RawQuotes) GoText.AppendRune(sb, ch);
                return sb.ToString();
            }
            GoText.AppendRune(sb, ch);
        }
    }

    private string ProcessDoubleQuote()
    {
        // Inside double quotes only $, the escape token and " are special; the escape token only escapes
        // ", $ and itself and is kept literally before anything else.
        var sb = new StringBuilder();
        int ch = Next();
        if (_lex.RawQuotes) GoText.AppendRune(sb, ch);
        while (true)
        {
            switch (Peek())
            {
                case Eof:
                    throw new ShellSyntaxException("unexpected end of statement while looking for matching double-quote");
                case '"':
                    ch = Next();
                    if (_lex.RawQuotes) GoText.AppendRune(sb, ch);
                    return sb.ToString();
                case '$':
                    sb.Append(ProcessDollar());
                    continue;
            }
            ch = Next();
            if (ch == _lex.EscapeToken)
            {
                if (_rawEscapes) GoText.AppendRune(sb, ch);
                int following = Peek();
                if (following == Eof) continue; // loops back into the unterminated-quote error
                if (following == '"' || following == '$' || following == _lex.EscapeToken) ch = Next();
            }
            GoText.AppendRune(sb, ch);
        }
    }

    private string ProcessDollar()
    {
        Next(); // '$'
        if (Peek() != '{')
        {
            string plain = ProcessName();
            if (plain.Length == 0) return "$";
            var (plainValue, plainFound) = GetEnv(plain);
            if (!plainFound && _lex.SkipUnsetEnv) return "$" + plain;
            return plainValue;
        }

        Next(); // '{'
        switch (Peek())
        {
            case Eof:
                throw new ShellSyntaxException("syntax error: missing '}'");
            case '{' or '}' or ':':
                throw new ShellSyntaxException("syntax error: bad substitution");
        }
        string name = ProcessName();
        int ch = Next();
        // BuildKit reports "unsupported modifier (\uFFFD)" here; say what is really wrong.
        if (ch == Eof) throw new ShellSyntaxException("syntax error: missing '}'");
        string modifier = GoText.RuneToString(ch);
        bool nullIsUnset = false;
        switch (ch)
        {
            case '}':
            {
                var (value, set) = GetEnv(name);
                if (!set && _lex.SkipUnsetEnv) return "${" + name + "}";
                return value;
            }
            case ':':
                nullIsUnset = true;
                ch = Next();
                modifier += GoText.RuneToString(ch);
                return ExpandModifier(name, ch, modifier, nullIsUnset);
            case '+' or '-' or '?' or '#' or '%':
                return ExpandModifier(name, ch, modifier, nullIsUnset);
            case '/':
                return ExpandReplace(name);
            default:
                throw new ShellSyntaxException($"unsupported modifier ({modifier}) in substitution");
        }
    }

    /// <summary><c>${name-word}</c>, <c>${name:+word}</c>, <c>${name?msg}</c>, <c>${name#pattern}</c> and friends.</summary>
    private string ExpandModifier(string name, int op, string modifier, bool nullIsUnset)
    {
        // Patterns keep their escapes so that \* means a literal star.
        bool patternOp = op is '#' or '%';
        if (nullIsUnset && patternOp) throw new ShellSyntaxException($"unsupported modifier ({modifier}) in substitution");
        string word = ReadUntilBrace(patternOp);

        var (value, set) = GetEnv(name);
        if (_lex.SkipUnsetEnv && !set) return "${" + name + modifier + word + "}";

        switch (op)
        {
            case '-':
                return !set || (nullIsUnset && value.Length == 0) ? word : value;
            case '+':
                return !set || (nullIsUnset && value.Length == 0) ? "" : word;
            case '?':
                if (!set) throw new ShellSyntaxException($"{name}: {(word.Length > 0 ? word : "is not allowed to be unset")}");
                if (nullIsUnset && value.Length == 0)
                    throw new ShellSyntaxException($"{name}: {(word.Length > 0 ? word : "is not allowed to be empty")}");
                return value;
            case '%' or '#':
                // A doubled operator (%% / ##) removes the longest match instead of the shortest.
                bool greedy = word.Length > 0 && word[0] == op;
                if (greedy) word = word[1..];
                return op == '%' ? ShellPattern.TrimSuffix(word, value, greedy) : ShellPattern.TrimPrefix(word, value, greedy);
            default:
                throw new ShellSyntaxException($"unsupported modifier ({modifier}) in substitution");
        }
    }

    /// <summary><c>${name/pattern/replacement}</c> (first match) and <c>${name//pattern/replacement}</c> (all).</summary>
    private string ExpandReplace(string name)
    {
        bool all = Peek() == '/';
        if (all) Next();

        string pattern;
        try
        {
            pattern = ProcessStopOn('/', true).Result;
        }
        catch (ShellSyntaxException) when (Peek() == Eof)
        {
            throw new ShellSyntaxException("syntax error: missing '/' in ${}");
        }
        string replacement = ReadUntilBrace(true);

        var (value, set) = GetEnv(name);
        if (_lex.SkipUnsetEnv && !set) return "${" + name + "/" + pattern + "/" + replacement + "}";
        return ShellPattern.Replace(pattern, value, replacement, all);
    }

    private string ReadUntilBrace(bool rawEscapes)
    {
        try
        {
            return ProcessStopOn('}', rawEscapes).Result;
        }
        catch (ShellSyntaxException) when (Peek() == Eof)
        {
            throw new ShellSyntaxException("syntax error: missing '}'");
        }
    }

    /// <summary>A variable name: letters, digits and '_'; or a run of digits; or one special parameter character.</summary>
    private string ProcessName()
    {
        var name = new StringBuilder();
        while (Peek() != Eof)
        {
            int ch = Peek();
            if (name.Length == 0 && GoText.IsDigit(ch))
            {
                while (Peek() != Eof && GoText.IsDigit(Peek())) GoText.AppendRune(name, Next());
                return name.ToString();
            }
            if (name.Length == 0 && IsSpecialParameter(ch))
            {
                Next();
                return GoText.RuneToString(ch);
            }
            if (!GoText.IsLetter(ch) && !GoText.IsDigit(ch) && ch != '_') break;
            GoText.AppendRune(name, Next());
        }
        return name.ToString();
    }

    private static bool IsSpecialParameter(int ch) => ch is '@' or '*' or '#' or '?' or '-' or '$' or '!' or '0';

    /// <summary>Keeps <c>&lt;&lt;</c> and the blanks after it together so heredoc markers stay one word.</summary>
    private string ProcessPossibleHeredoc()
    {
        Next();
        if (Peek() != '<') return "<";
        Next();
        var sb = new StringBuilder("<<");
        while (Peek() is '\t' or '\r' or ' ') GoText.AppendRune(sb, Next());
        return sb.ToString();
    }

    private (string Value, bool Set) GetEnv(string name)
    {
        if (_env.TryGetValue(name, out var value))
        {
            Matched.Add(name);
            return (value, true);
        }
        Unmatched.Add(name);
        return ("", false);
    }
}
