namespace Sbuild.Parser.Binding;

/// <summary>
/// The <c>--flags</c> an instruction accepts, checked like BuildKit's BFlags: unknown and repeated flags are errors
/// (except list flags, which accumulate), string flags need <c>=value</c>, boolean flags accept
/// <c>--x</c>, <c>--x=true</c> and <c>--x=false</c> (any case).
/// </summary>
internal sealed class FlagSet
{
    private enum FlagKind { Bool, String, Strings }

    private readonly Dictionary<string, FlagKind> _declared = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _lists = new(StringComparer.Ordinal);

    public FlagSet Bool(string name) => Declare(name, FlagKind.Bool);

    public FlagSet String(string name) => Declare(name, FlagKind.String);

    public FlagSet Strings(string name) => Declare(name, FlagKind.Strings);

    private FlagSet Declare(string name, FlagKind kind)
    {
        _declared[name] = kind;
        return this;
    }

    /// <summary>Applies the node's flags; <paramref name="fail"/> receives the index of the offending flag and a message.</summary>
    public FlagSet Parse(IReadOnlyList<string> flags, Func<int, string, Exception> fail)
    {
        for (int i = 0; i < flags.Count; i++)
        {
            string flag = flags[i];
            if (flag == "--") break;
            if (!flag.StartsWith("--", StringComparison.Ordinal)) throw fail(i, $"arg should start with -- : {flag}");

            int eq = flag.IndexOf('=');
            bool hasValue = eq >= 0;
            string flagName = hasValue ? flag[..eq] : flag;
            string value = hasValue ? flag[(eq + 1)..] : "";
            string name = flagName[2..];

            if (!_declared.TryGetValue(name, out var kind))
                throw fail(i, $"unknown flag: {flagName}{Suggest(name)}");
            if (kind != FlagKind.Strings && _values.ContainsKey(name))
                throw fail(i, $"duplicate flag specified: {flagName}");

            switch (kind)
            {
                case FlagKind.Bool:
                    if (hasValue && value.Length == 0) throw fail(i, $"missing a value on flag: {flagName}");
                    _values[name] = value.ToLowerInvariant() switch
                    {
                        "true" or "" => "true",
                        "false" => "false",
                        _ => throw fail(i, $"expecting boolean value for flag {flagName}, not: {value}"),
                    };
                    break;
                case FlagKind.String:
                    if (!hasValue) throw fail(i, $"missing a value on flag: {flagName}");
                    _values[name] = value;
                    break;
                case FlagKind.Strings:
                    if (!hasValue) throw fail(i, $"missing a value on flag: {flagName}");
                    if (!_lists.TryGetValue(name, out var list)) _lists[name] = list = [];
                    list.Add(value);
                    _values[name] = value;
                    break;
            }
        }
        return this;
    }

    public bool IsSet(string name) => _values.ContainsKey(name);

    public string? GetString(string name) => _values.GetValueOrDefault(name);

    public bool GetBool(string name) => _values.GetValueOrDefault(name) == "true";

    public bool? GetOptionalBool(string name) => IsSet(name) ? GetBool(name) : null;

    public IReadOnlyList<string> GetStrings(string name) => _lists.TryGetValue(name, out var list) ? list : [];

    private string Suggest(string name)
    {
        if (_declared.Count == 0) return " (this instruction takes no flags)";
        foreach (string known in _declared.Keys)
        {
            if (Parsing.EditDistance.AtMostOne(name, known)) return $" (did you mean --{known}?)";
        }
        return $" (valid flags: {string.Join(", ", _declared.Keys.Order(StringComparer.Ordinal).Select(k => "--" + k))})";
    }
}
