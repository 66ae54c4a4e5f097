using System.Globalization;
using System.Text;

namespace Sbuild.Cli.Templates;

/// <summary>
/// encoding/json's output for a <see cref="GoValue"/>: struct fields in order (omitempty honoured), map keys sorted, nil
/// as <c>null</c>, Go's string escapes (lower-case <c>\u00XX</c>, <c>&lt; &gt; &amp;</c> only when HTML escaping is on,
/// U+2028/U+2029 always). With an indent it is what <c>json.Indent</c> makes of it, as <c>docker inspect</c> prints.
/// </summary>
public static class GoJson
{
    public static string Encode(GoValue value, bool escapeHtml, string? indent = null)
    {
        var text = new StringBuilder();
        Write(text, value, escapeHtml, indent, 0);
        return text.ToString();
    }

    private static void Write(StringBuilder text, GoValue value, bool escapeHtml, string? indent, int depth)
    {
        switch (value)
        {
            case GoString s:
                WriteString(text, s.Value, escapeHtml);
                break;
            case GoStringer stringer:
                WriteString(text, stringer.Json, escapeHtml);
                break;
            case GoInt n:
                text.Append(n.Value.ToString(CultureInfo.InvariantCulture));
                break;
            case GoFloat f:
                text.Append(f.Value.ToString("R", CultureInfo.InvariantCulture));
                break;
            case GoBool b:
                text.Append(b.Value ? "true" : "false");
                break;
            case GoList list:
                WriteMembers(text, '[', ']', list.Items.Select(i => ((string?)null, i)).ToList(), escapeHtml, indent, depth);
                break;
            case GoMap map:
                WriteMembers(text, '{', '}', map.SortedKeys.Select(k => ((string?)k, map.Entries[k])).ToList(), escapeHtml, indent, depth);
                break;
            case GoStruct structure:
                var fields = structure.Fields.Where(f => !(f.OmitEmpty && IsEmpty(f.Value))).Select(f => ((string?)f.Name, f.Value)).ToList();
                // docker's formatter contexts marshal themselves (into a map: keys sorted) with HTML escaping on.
                if (structure.HtmlEscapedJson) fields = fields.OrderBy(f => f.Item1, StringComparer.Ordinal).ToList();
                WriteMembers(text, '{', '}', fields, escapeHtml || structure.HtmlEscapedJson, indent, depth);
                break;
            default:
                text.Append("null");
                break;
        }
    }

    private static void WriteMembers(StringBuilder text, char open, char close, List<(string? Key, GoValue Value)> members, bool escapeHtml, string? indent, int depth)
    {
        text.Append(open);
        for (var i = 0; i < members.Count; i++)
        {
            if (i > 0) text.Append(',');
            NewLine(text, indent, depth + 1);
            if (members[i].Key is { } key)
            {
                WriteString(text, key, escapeHtml);
                text.Append(indent is null ? ":" : ": ");
            }
            Write(text, members[i].Value, escapeHtml, indent, depth + 1);
        }
        if (members.Count > 0) NewLine(text, indent, depth);
        text.Append(close);
    }

    private static void NewLine(StringBuilder text, string? indent, int depth)
    {
        if (indent is null) return;
        text.Append('\n');
        for (var i = 0; i < depth; i++) text.Append(indent);
    }

    private static bool IsEmpty(GoValue value) => value switch
    {
        GoString s => s.Value.Length == 0,
        GoInt n => n.Value == 0,
        GoFloat f => f.Value == 0,
        GoBool b => !b.Value,
        GoList l => l.Items.Count == 0,
        GoMap m => m.Entries.Count == 0,
        GoNil => true,
        _ => false,
    };

    public static void WriteString(StringBuilder text, string value, bool escapeHtml)
    {
        text.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case '<' or '>' or '&' when escapeHtml:
                case '\u2028' or '\u2029':
                    text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    if (c < 0x20) text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else if (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])))
                        text.Append("\\ufffd"); // a lone surrogate is invalid UTF-8 to Go, which writes the replacement character
                    else if (char.IsHighSurrogate(c)) text.Append(c).Append(value[++i]);
                    else text.Append(c);
                    break;
            }
        }
        text.Append('"');
    }
}
