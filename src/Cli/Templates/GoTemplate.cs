using System.Globalization;
using System.Text;
using Sbuild.Core;

namespace Sbuild.Cli.Templates;

/// <summary>
/// A Go text/template for <c>--format</c>, the subset docker users write: actions with fields (<c>{{.Config.Env}}</c>),
/// variables (<c>$</c>, <c>{{range $k, $v := .Labels}}</c>), pipelines (<c>{{.Tag | upper}}</c>), parentheses,
/// <c>if</c>/<c>else if</c>/<c>else</c>, <c>range</c>, <c>with</c>, trim markers and comments; docker's functions (json,
/// join, split, upper, lower, title, truncate, pad, println) and Go's (print, printf with %s %v %d %q, len, index, eq,
/// ne, lt, le, gt, ge, and, or, not).
/// <para>
/// A small evaluator rather than a translation into Fluid (Liquid): Go's printing of values (<c>[a b]</c>,
/// <c>map[k:v]</c>, typed nils, <c>&lt;no value&gt;</c>), its truth rules, <c>index</c> and pipelines have no Liquid
/// equivalent, so a translation would still need this much code to print values, plus Fluid's member-accessor
/// registration to run under NativeAOT. Values are <see cref="GoValue"/> trees built explicitly by each command.
/// </para>
/// Anything else (define/template/block, break/continue, other functions) is refused when parsing, naming the flag.
/// </summary>
public sealed class GoTemplate
{
    private readonly List<Node> _nodes;
    private readonly string _flag;
    private readonly string _source;

    private GoTemplate(List<Node> nodes, string source, string flag) => (_nodes, _source, _flag) = (nodes, source, flag);

    public static GoTemplate Parse(string source, string flag = "--format")
    {
        try
        {
            return new GoTemplate(new Parser(source).ParseAll(), source, flag);
        }
        catch (TemplateException e)
        {
            throw new SbuildException(ErrorCode.InvalidOption, $"{flag} \"{source}\": template parsing error: {e.Message}");
        }
    }

    /// <summary>Runs the template on <paramref name="data"/> with docker's functions; <paramref name="header"/>: the table header pass, where docker's functions hand their argument back unchanged.</summary>
    public string Execute(GoValue data, bool header = false)
    {
        var output = new StringBuilder();
        try
        {
            new Executor(output, data, header).Run(_nodes, data);
        }
        catch (TemplateException e)
        {
            throw new SbuildException(ErrorCode.InvalidOption, $"{_flag} \"{_source}\": template: executing: {e.Message}");
        }
        return output.ToString();
    }

    private sealed class TemplateException(string message) : Exception(message);

    // ---- syntax tree ----
    private abstract record Node;
    private sealed record TextNode(string Text) : Node;
    private sealed record ActionNode(Pipeline Pipeline) : Node;
    private sealed record IfNode(Pipeline Condition, List<Node> Then, List<Node>? Else, bool IsWith) : Node;
    private sealed record RangeNode(Pipeline Source, List<Node> Body, List<Node>? Else) : Node;
    private sealed record Pipeline(IReadOnlyList<string> Declarations, IReadOnlyList<Command> Commands);
    private sealed record Command(IReadOnlyList<Operand> Args);
    private abstract record Operand;
    private sealed record FieldOperand(Operand? Receiver, IReadOnlyList<string> Names) : Operand; // Receiver null: dot
    private sealed record VariableOperand(string Name) : Operand;
    private sealed record LiteralOperand(GoValue Value) : Operand;
    private sealed record FunctionOperand(string Name) : Operand;
    private sealed record SubPipeline(Pipeline Pipeline) : Operand;

    private static readonly HashSet<string> Functions = new(StringComparer.Ordinal)
    {
        "json", "join", "split", "upper", "lower", "title", "truncate", "pad", "println", "print", "printf", "len",
        "index", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not",
    };

    // ---- parser ----
    private sealed class Parser(string source)
    {
        private int _pos;

        public List<Node> ParseAll()
        {
            var (nodes, end) = ParseList();
            if (end is not null) throw new TemplateException($"unexpected {{{{{end}}}}}");
            return nodes;
        }

        /// <summary>Nodes up to an {{end}} / {{else …}} (returned as the terminator's text) or the end of the source.</summary>
        private (List<Node> Nodes, string? Terminator) ParseList()
        {
            var nodes = new List<Node>();
            while (_pos < source.Length)
            {
                var open = source.IndexOf("{{", _pos, StringComparison.Ordinal);
                var textEnd = open < 0 ? source.Length : open;
                var text = source[_pos..textEnd];
                var trimLeft = open >= 0 && source.AsSpan(open).StartsWith("{{- ");
                if (trimLeft) text = text.TrimEnd(' ', '\t', '\r', '\n');
                if (text.Length > 0) nodes.Add(new TextNode(text));
                if (open < 0) { _pos = source.Length; break; }
                var start = open + (trimLeft ? 4 : 2);
                var close = FindClose(start);
                var trimRight = close - 2 >= start && source.AsSpan(close - 2, 2).SequenceEqual(" -");
                var body = source[start..(trimRight ? close - 2 : close)].Trim();
                _pos = close + 2;
                if (trimRight) while (_pos < source.Length && source[_pos] is ' ' or '\t' or '\r' or '\n') _pos++;
                if (body.StartsWith("/*", StringComparison.Ordinal))
                {
                    if (!body.EndsWith("*/", StringComparison.Ordinal)) throw new TemplateException("unclosed comment");
                    continue;
                }
                var word = body.Split([' ', '\t', '\n'], 2)[0];
                switch (word)
                {
                    case "end":
                        if (body != "end") throw new TemplateException("unexpected text after end");
                        return (nodes, "end");
                    case "else":
                        return (nodes, body);
                    case "if" or "with":
                        nodes.Add(ParseIf(body[word.Length..], word == "with"));
                        break;
                    case "range":
                        var source = new ActionLexer(body[5..]).ParsePipeline(allowDeclarations: true);
                        var (rangeBody, rangeEnd) = ParseList();
                        List<Node>? rangeElse = null;
                        if (rangeEnd == "else") (rangeElse, rangeEnd) = ParseList();
                        if (rangeEnd != "end") throw new TemplateException("range without end");
                        nodes.Add(new RangeNode(source, rangeBody, rangeElse));
                        break;
                    case "define" or "template" or "block" or "break" or "continue":
                        throw new TemplateException($"{{{{{word}}}}} is not supported by sbuild");
                    default:
                        nodes.Add(new ActionNode(new ActionLexer(body).ParsePipeline(allowDeclarations: true)));
                        break;
                }
            }
            return (nodes, null);
        }

        private IfNode ParseIf(string condition, bool isWith)
        {
            var pipeline = new ActionLexer(condition).ParsePipeline(allowDeclarations: isWith);
            var (then, end) = ParseList();
            List<Node>? otherwise = null;
            if (end == "else") (otherwise, end) = ParseList();
            else if (end is not null && end.StartsWith("else ", StringComparison.Ordinal))
            {
                // {{else if …}} / {{else with …}}: an if nested in the else branch that shares this one's {{end}}.
                var rest = end[5..].TrimStart();
                var nestedWith = rest.StartsWith("with", StringComparison.Ordinal);
                if (!nestedWith && !rest.StartsWith("if", StringComparison.Ordinal)) throw new TemplateException($"unexpected {{{{{end}}}}}");
                otherwise = [ParseIf(rest[(nestedWith ? 4 : 2)..], nestedWith)];
                return new IfNode(pipeline, then, otherwise, isWith);
            }
            if (end != "end") throw new TemplateException($"{(isWith ? "with" : "if")} without end");
            return new IfNode(pipeline, then, otherwise, isWith);
        }

        private int FindClose(int from)
        {
            var inString = '\0';
            for (var i = from; i < source.Length - 1; i++)
            {
                var c = source[i];
                if (inString != '\0')
                {
                    if (c == '\\' && inString == '"') i++;
                    else if (c == inString) inString = '\0';
                }
                else if (c is '"' or '`') inString = c;
                else if (c == '}' && source[i + 1] == '}') return i;
            }
            throw new TemplateException("unclosed action");
        }
    }

    /// <summary>Tokens of one action: a pipeline of commands separated by '|', each a list of operands.</summary>
    private sealed class ActionLexer(string text)
    {
        private int _pos;

        public Pipeline ParsePipeline(bool allowDeclarations)
        {
            var pipeline = ParsePipelineUntil('\0', allowDeclarations);
            SkipSpace();
            if (_pos < text.Length) throw new TemplateException($"unexpected \"{text[_pos..]}\" in action");
            return pipeline;
        }

        private Pipeline ParsePipelineUntil(char end, bool allowDeclarations)
        {
            var declarations = new List<string>();
            if (allowDeclarations) declarations = TryDeclarations();
            var commands = new List<Command>();
            var args = new List<Operand>();
            while (true)
            {
                SkipSpace();
                if (_pos >= text.Length || text[_pos] == end)
                {
                    if (end != '\0' && _pos >= text.Length) throw new TemplateException("unclosed left paren");
                    if (end != '\0') _pos++;
                    break;
                }
                if (text[_pos] == '|')
                {
                    if (args.Count == 0) throw new TemplateException("missing command before '|'");
                    commands.Add(new Command(args));
                    args = [];
                    _pos++;
                    continue;
                }
                args.Add(ParseOperand());
            }
            if (args.Count == 0) throw new TemplateException(commands.Count == 0 ? "missing value for command" : "missing command after '|'");
            commands.Add(new Command(args));
            return new Pipeline(declarations, commands);
        }

        /// <summary><c>$x :=</c> or <c>$k, $v :=</c> at the start of a pipeline; none when the text is not a declaration.</summary>
        private List<string> TryDeclarations()
        {
            var start = _pos;
            var names = new List<string>();
            while (true)
            {
                SkipSpace();
                if (_pos >= text.Length || text[_pos] != '$') break;
                var name = ReadWhile(1, IsIdentifierChar);
                names.Add(name);
                SkipSpace();
                if (_pos < text.Length && text[_pos] == ',') { _pos++; continue; }
                if (_pos + 1 < text.Length && text[_pos] == ':' && text[_pos + 1] == '=') { _pos += 2; return names; }
                break;
            }
            _pos = start;
            return [];
        }

        private Operand ParseOperand()
        {
            var c = text[_pos];
            Operand operand;
            if (c == '(')
            {
                _pos++;
                operand = new SubPipeline(ParsePipelineUntil(')', allowDeclarations: false));
            }
            else if (c == '.')
            {
                if (_pos + 1 >= text.Length || !IsIdentifierStart(text[_pos + 1])) { _pos++; return WithFields(new FieldOperand(null, [])); }
                operand = new FieldOperand(null, []);
            }
            else if (c == '$') operand = new VariableOperand(ReadWhile(1, IsIdentifierChar));
            else if (c == '"') operand = new LiteralOperand(GoValue.Of(ReadQuoted()));
            else if (c == '`')
            {
                var close = text.IndexOf('`', _pos + 1);
                if (close < 0) throw new TemplateException("unterminated raw quoted string");
                operand = new LiteralOperand(GoValue.Of(text[(_pos + 1)..close]));
                _pos = close + 1;
            }
            else if (char.IsAsciiDigit(c) || c == '-')
            {
                var number = ReadWhile(0, ch => char.IsAsciiDigit(ch) || ch is '-' or '.');
                operand = long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                    ? new LiteralOperand(GoValue.Of(n)) : throw new TemplateException($"bad number syntax: \"{number}\"");
            }
            else if (IsIdentifierStart(c))
            {
                var word = ReadWhile(0, IsIdentifierChar);
                operand = word switch
                {
                    "true" => new LiteralOperand(GoValue.Of(true)),
                    "false" => new LiteralOperand(GoValue.Of(false)),
                    "nil" => new LiteralOperand(new GoNil(GoNilKind.Interface)),
                    // Go's lexer reads "json." as a function followed by a field, which it refuses.
                    _ when _pos < text.Length && text[_pos] == '.' => throw new TemplateException($"unexpected <.> in operand"),
                    _ when Functions.Contains(word) => new FunctionOperand(word),
                    _ => throw new TemplateException($"function \"{word}\" not defined"),
                };
            }
            else throw new TemplateException($"unexpected \"{c}\" in operand");
            return WithFields(operand);
        }

        /// <summary>Field names chained on an operand: <c>.A.B</c>, <c>$x.A</c>, <c>(…).A</c>.</summary>
        private Operand WithFields(Operand operand)
        {
            var names = new List<string>();
            while (_pos + 1 < text.Length && text[_pos] == '.' && IsIdentifierStart(text[_pos + 1]))
                names.Add(ReadWhile(1, IsIdentifierChar));
            if (names.Count == 0) return operand;
            return operand is FieldOperand { Receiver: null, Names.Count: 0 } ? new FieldOperand(null, names) : new FieldOperand(operand, names);
        }

        private string ReadQuoted()
        {
            var value = new StringBuilder();
            for (var i = _pos + 1; i < text.Length; i++)
            {
                var c = text[i];
                if (c == '"') { _pos = i + 1; return value.ToString(); }
                if (c != '\\') { value.Append(c); continue; }
                if (++i >= text.Length) break;
                value.Append(text[i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '\\' => '\\', '"' => '"', var other => throw new TemplateException($"unsupported escape \\{other} in string") });
            }
            throw new TemplateException("unterminated quoted string");
        }

        /// <summary>Skips <paramref name="skip"/> characters (a sigil) and reads the word that follows.</summary>
        private string ReadWhile(int skip, Func<char, bool> accept)
        {
            var start = _pos + skip;
            var end = start;
            while (end < text.Length && accept(text[end])) end++;
            _pos = end;
            return text[start..end];
        }

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++;
        }

        private static bool IsIdentifierStart(char c) => char.IsLetter(c) || c == '_';
        private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c == '_';
    }

    // ---- executor ----
    private sealed class Executor(StringBuilder output, GoValue root, bool header)
    {
        private readonly List<(string Name, GoValue Value)> _variables = [("", root)];

        public void Run(IEnumerable<Node> nodes, GoValue dot)
        {
            foreach (var node in nodes)
            {
                switch (node)
                {
                    case TextNode text:
                        output.Append(text.Text);
                        break;
                    case ActionNode action:
                        var value = Evaluate(action.Pipeline, dot);
                        if (action.Pipeline.Declarations.Count == 0) output.Append(value.Print());
                        break;
                    case IfNode branch:
                        var mark = _variables.Count;
                        var condition = Evaluate(branch.Condition, dot);
                        if (condition.IsTrue) Run(branch.Then, branch.IsWith ? condition : dot);
                        else if (branch.Else is { } otherwise) Run(otherwise, dot);
                        _variables.RemoveRange(mark, _variables.Count - mark);
                        break;
                    case RangeNode range:
                        RunRange(range, dot);
                        break;
                }
            }
        }

        private void RunRange(RangeNode range, GoValue dot)
        {
            var pipeline = range.Source with { Declarations = [] };
            var source = Evaluate(pipeline, dot);
            IEnumerable<(GoValue Key, GoValue Value)> items = source switch
            {
                GoList list => list.Items.Select((v, i) => (GoValue.Of(i), v)),
                GoMap map => map.SortedKeys.Select(k => (GoValue.Of(k), map.Entries[k])),
                GoNil => [],
                _ => throw new TemplateException($"range can't iterate over {source.Print()}"),
            };
            var any = false;
            foreach (var (key, value) in items)
            {
                any = true;
                var mark = _variables.Count;
                var names = range.Source.Declarations;
                if (names.Count == 1) _variables.Add((names[0], value));
                else if (names.Count == 2) { _variables.Add((names[0], key)); _variables.Add((names[1], value)); }
                Run(range.Body, value);
                _variables.RemoveRange(mark, _variables.Count - mark);
            }
            if (!any && range.Else is { } otherwise) Run(otherwise, dot);
        }

        private GoValue Evaluate(Pipeline pipeline, GoValue dot)
        {
            GoValue? value = null;
            foreach (var command in pipeline.Commands) value = EvaluateCommand(command, dot, value);
            foreach (var name in pipeline.Declarations) _variables.Add((name, value!));
            return value!;
        }

        private GoValue EvaluateCommand(Command command, GoValue dot, GoValue? piped)
        {
            if (command.Args[0] is FunctionOperand function)
            {
                var args = command.Args.Skip(1).Select(a => EvaluateOperand(a, dot)).ToList();
                if (piped is not null) args.Add(piped);
                return Call(function.Name, args);
            }
            if (command.Args.Count > 1 || piped is not null)
                throw new TemplateException($"can't give argument to non-function {Describe(command.Args[0])}");
            return EvaluateOperand(command.Args[0], dot);
        }

        private GoValue EvaluateOperand(Operand operand, GoValue dot) => operand switch
        {
            LiteralOperand literal => literal.Value,
            VariableOperand variable => Variable(variable.Name),
            SubPipeline sub => Evaluate(sub.Pipeline, dot),
            FieldOperand field => field.Names.Aggregate(field.Receiver is null ? dot : EvaluateOperand(field.Receiver, dot), Field),
            FunctionOperand function => Call(function.Name, []),
            _ => throw new TemplateException("unsupported operand"),
        };

        private GoValue Variable(string name)
        {
            for (var i = _variables.Count - 1; i >= 0; i--)
                if (_variables[i].Name == name) return _variables[i].Value;
            throw new TemplateException($"undefined variable \"${name}\"");
        }

        private static GoValue Field(GoValue receiver, string name) => receiver switch
        {
            GoStruct s => s.Field(name) ?? throw new TemplateException($"can't evaluate field {name}"),
            GoMap m => m.Entries.TryGetValue(name, out var value) ? value : new GoNil(GoNilKind.Missing),
            GoNil { Kind: GoNilKind.Missing or GoNilKind.Interface or GoNilKind.Map } => new GoNil(GoNilKind.Missing),
            GoNil => throw new TemplateException($"nil pointer evaluating .{name}"),
            _ => throw new TemplateException($"can't evaluate field {name} in a {receiver.Print()}"),
        };

        private GoValue Call(string name, List<GoValue> args)
        {
            // The header row of a table runs the template on the column names; docker's functions return them as given.
            if (header && name is "json" or "join" or "split" or "upper" or "lower" or "title" or "truncate" or "pad" && args.Count > 0)
                return args[0];
            return name switch
            {
                "json" => GoValue.Of(GoJson.Encode(Arg(args, 0, name), escapeHtml: false)),
                "join" => GoValue.Of(string.Join(Text(args, 1, name), Items(Arg(args, 0, name), name).Select(v => v.Print()))),
                "split" => GoValue.Strings(Text(args, 0, name).Split(Text(args, 1, name))),
                "upper" => GoValue.Of(Text(args, 0, name).ToUpperInvariant()),
                "lower" => GoValue.Of(Text(args, 0, name).ToLowerInvariant()),
                "title" => GoValue.Of(Title(Text(args, 0, name))),
                "truncate" => GoValue.Of(Truncate(Text(args, 0, name), (int)Number(args, 1, name))),
                "pad" => GoValue.Of(new string(' ', (int)Number(args, 1, name)) + Text(args, 0, name) + new string(' ', (int)Number(args, 2, name))),
                "println" => GoValue.Of(string.Join(' ', args.Select(a => a.Print())) + "\n"),
                "print" => GoValue.Of(Sprint(args)),
                "printf" => GoValue.Of(Printf(Text(args, 0, name), args.Skip(1).ToList())),
                "len" => GoValue.Of(Arg(args, 0, name) switch
                {
                    GoList l => l.Items.Count,
                    GoMap m => m.Entries.Count,
                    GoString s => Encoding.UTF8.GetByteCount(s.Value),
                    GoNil { Kind: GoNilKind.Slice or GoNilKind.Map } => 0,
                    var other => throw new TemplateException($"error calling len: len of {other.Print()}"),
                }),
                "index" => args.Skip(1).Aggregate(Arg(args, 0, name), Index),
                "not" => GoValue.Of(!Arg(args, 0, name).IsTrue),
                "and" => args.FirstOrDefault(a => !a.IsTrue) ?? Arg(args, args.Count - 1, name),
                "or" => args.FirstOrDefault(a => a.IsTrue) ?? Arg(args, args.Count - 1, name),
                "eq" => GoValue.Of(args.Skip(1).Any(a => Compare(Arg(args, 0, name), a, name) == 0)),
                "ne" => GoValue.Of(Compare(Arg(args, 0, name), Arg(args, 1, name), name) != 0),
                "lt" => GoValue.Of(Compare(Arg(args, 0, name), Arg(args, 1, name), name) < 0),
                "le" => GoValue.Of(Compare(Arg(args, 0, name), Arg(args, 1, name), name) <= 0),
                "gt" => GoValue.Of(Compare(Arg(args, 0, name), Arg(args, 1, name), name) > 0),
                "ge" => GoValue.Of(Compare(Arg(args, 0, name), Arg(args, 1, name), name) >= 0),
                _ => throw new TemplateException($"function \"{name}\" not defined"),
            };
        }

        private static GoValue Index(GoValue collection, GoValue key) => (collection, key) switch
        {
            (GoList list, GoInt i) => i.Value >= 0 && i.Value < list.Items.Count ? list.Items[(int)i.Value]
                : throw new TemplateException($"error calling index: index out of range: {i.Value}"),
            (GoMap map, GoString k) => map.Entries.TryGetValue(k.Value, out var value) ? value : GoValue.Of(""),
            (GoNil { Kind: GoNilKind.Map }, GoString) => GoValue.Of(""),
            (GoNil, _) => throw new TemplateException("error calling index: index of untyped nil"),
            _ => throw new TemplateException($"error calling index: cannot index {collection.Print()} with {key.Print()}"),
        };

        private static int Compare(GoValue a, GoValue b, string name) => (a, b) switch
        {
            (GoString x, GoString y) => string.CompareOrdinal(x.Value, y.Value),
            (GoInt x, GoInt y) => x.Value.CompareTo(y.Value),
            (GoBool x, GoBool y) when name is "eq" or "ne" => x.Value == y.Value ? 0 : 1,
            _ => throw new TemplateException($"error calling {name}: incompatible types for comparison"),
        };

        private static GoValue Arg(List<GoValue> args, int index, string name) =>
            index < args.Count ? args[index] : throw new TemplateException($"wrong number of args for {name}");

        private static string Text(List<GoValue> args, int index, string name) => Arg(args, index, name) switch
        {
            GoString s => s.Value,
            var other => throw new TemplateException($"error calling {name}: expected a string, got {other.Print()}"),
        };

        private static long Number(List<GoValue> args, int index, string name) => Arg(args, index, name) switch
        {
            GoInt n => n.Value,
            var other => throw new TemplateException($"error calling {name}: expected an integer, got {other.Print()}"),
        };

        private static IEnumerable<GoValue> Items(GoValue value, string name) => value switch
        {
            GoList l => l.Items,
            GoNil { Kind: GoNilKind.Slice } => [],
            _ => throw new TemplateException($"error calling {name}: expected a list, got {value.Print()}"),
        };

        /// <summary>strings.Title: each letter that follows a non-letter is upper-cased.</summary>
        private static string Title(string text)
        {
            var chars = text.ToCharArray();
            for (var i = 0; i < chars.Length; i++)
                if (i == 0 || !char.IsLetterOrDigit(chars[i - 1]) && chars[i - 1] != '_' && chars[i - 1] != '\'') chars[i] = char.ToUpperInvariant(chars[i]);
            return new string(chars);
        }

        /// <summary>docker's truncate: the first N runes.</summary>
        private static string Truncate(string text, int length)
        {
            var runes = text.EnumerateRunes().ToList();
            return runes.Count <= length ? text : string.Concat(runes.Take(length).Select(r => r.ToString()));
        }

        /// <summary>fmt.Sprint: a space between operands when neither is a string.</summary>
        private static string Sprint(List<GoValue> args)
        {
            var text = new StringBuilder();
            for (var i = 0; i < args.Count; i++)
            {
                if (i > 0 && args[i] is not GoString && args[i - 1] is not GoString) text.Append(' ');
                text.Append(args[i].Print());
            }
            return text.ToString();
        }

        private static string Printf(string format, List<GoValue> args)
        {
            var text = new StringBuilder();
            var next = 0;
            for (var i = 0; i < format.Length; i++)
            {
                if (format[i] != '%' || i + 1 >= format.Length) { text.Append(format[i]); continue; }
                var verb = format[++i];
                if (verb == '%') { text.Append('%'); continue; }
                if (verb is not ('s' or 'v' or 'd' or 'q')) throw new TemplateException($"printf verb %{verb} is not supported by sbuild (%s %v %d %q are)");
                if (next >= args.Count) { text.Append($"%!{verb}(MISSING)"); continue; }
                var arg = args[next++];
                if (verb == 'q') GoJson.WriteString(text, arg.Print(), escapeHtml: false);
                else text.Append(arg.Print());
            }
            return text.ToString();
        }

        private static string Describe(Operand operand) => operand switch
        {
            FieldOperand f => "." + string.Join('.', f.Names),
            VariableOperand v => "$" + v.Name,
            _ => "value",
        };
    }
}
