using System.Globalization;
using System.Text;

namespace Sbuild.Cli.Templates;

/// <summary>
/// The values <c>--format</c> templates see, modelled on the Go values docker's templates run on: a struct's fields
/// in declaration order, maps with sorted keys, typed nils (a nil slice prints <c>[]</c>, a nil map <c>map[]</c>, a nil
/// pointer <c>&lt;nil&gt;</c>). Commands build these trees explicitly, so nothing is found by reflection (NativeAOT).
/// </summary>
public abstract record GoValue
{
    public static GoValue Of(string value) => new GoString(value);
    public static GoValue Of(long value) => new GoInt(value);
    public static GoValue Of(bool value) => new GoBool(value);
    public static GoValue Strings(IEnumerable<string>? values) =>
        values is null ? new GoNil(GoNilKind.Slice) : new GoList(values.Select(Of).ToList());
    public static GoValue StringMap(IEnumerable<KeyValuePair<string, string>>? values) =>
        values is null ? new GoNil(GoNilKind.Map) : new GoMap(values.ToDictionary(p => p.Key, p => Of(p.Value), StringComparer.Ordinal));
    /// <summary>A JSON document's value as Go's encoding/json decodes it into interface{} (numbers as float64 aside: whole numbers stay whole).</summary>
    public static GoValue FromJson(System.Text.Json.JsonElement element) => element.ValueKind switch
    {
        System.Text.Json.JsonValueKind.String => Of(element.GetString()!),
        System.Text.Json.JsonValueKind.Number => element.TryGetInt64(out var n) ? Of(n) : new GoFloat(element.GetDouble()),
        System.Text.Json.JsonValueKind.True => Of(true),
        System.Text.Json.JsonValueKind.False => Of(false),
        System.Text.Json.JsonValueKind.Array => new GoList(element.EnumerateArray().Select(FromJson).ToList()),
        System.Text.Json.JsonValueKind.Object => new GoMap(element.EnumerateObject().GroupBy(p => p.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => FromJson(g.Last().Value), StringComparer.Ordinal)),
        _ => new GoNil(GoNilKind.Interface),
    };

    /// <summary>Go's truth for if/with/and/or: false, 0, "", nil and empty collections are false.</summary>
    public abstract bool IsTrue { get; }

    /// <summary>What fmt.Sprint prints for the value (the text a template action writes).</summary>
    public string Print()
    {
        var text = new StringBuilder();
        Print(text, topLevel: true);
        return text.ToString();
    }

    internal abstract void Print(StringBuilder text, bool topLevel);
}

public sealed record GoString(string Value) : GoValue
{
    public override bool IsTrue => Value.Length > 0;
    internal override void Print(StringBuilder text, bool topLevel) => text.Append(Value);
}

/// <summary>
/// A value with a String method and its own JSON form, such as time.Time: printed as <paramref name="Text"/>
/// ("0001-01-01 00:00:00 +0000 UTC"), encoded as the JSON string <paramref name="Json"/> ("0001-01-01T00:00:00Z").
/// </summary>
public sealed record GoStringer(string Text, string Json) : GoValue
{
    public override bool IsTrue => true;
    internal override void Print(StringBuilder text, bool topLevel) => text.Append(Text);
}

public sealed record GoInt(long Value) : GoValue
{
    public override bool IsTrue => Value != 0;
    internal override void Print(StringBuilder text, bool topLevel) => text.Append(Value.ToString(CultureInfo.InvariantCulture));
}

public sealed record GoFloat(double Value) : GoValue
{
    public override bool IsTrue => Value != 0;
    internal override void Print(StringBuilder text, bool topLevel) => text.Append(GoNumbers.FormatG(Value, -1));
}

public sealed record GoBool(bool Value) : GoValue
{
    public override bool IsTrue => Value;
    internal override void Print(StringBuilder text, bool topLevel) => text.Append(Value ? "true" : "false");
}

public sealed record GoList(IReadOnlyList<GoValue> Items) : GoValue
{
    public override bool IsTrue => Items.Count > 0;
    internal override void Print(StringBuilder text, bool topLevel)
    {
        text.Append('[');
        for (var i = 0; i < Items.Count; i++)
        {
            if (i > 0) text.Append(' ');
            Items[i].Print(text, topLevel: false);
        }
        text.Append(']');
    }
}

/// <summary>A Go map with string keys: printed and ranged over in sorted key order, encoded to JSON sorted.</summary>
public sealed record GoMap(IReadOnlyDictionary<string, GoValue> Entries) : GoValue
{
    public IEnumerable<string> SortedKeys => Entries.Keys.Order(StringComparer.Ordinal);
    public override bool IsTrue => Entries.Count > 0;
    internal override void Print(StringBuilder text, bool topLevel)
    {
        text.Append("map[");
        var first = true;
        foreach (var key in SortedKeys)
        {
            if (!first) text.Append(' ');
            first = false;
            text.Append(key).Append(':');
            Entries[key].Print(text, topLevel: false);
        }
        text.Append(']');
    }
}

/// <summary>A struct field: its Go name, value, and whether encoding/json leaves it out when empty (omitempty).</summary>
public sealed record GoField(string Name, GoValue Value, bool OmitEmpty = false);

/// <summary>
/// A Go struct (fields in declaration order), printed <c>{v1 v2 …}</c> (text/template prints what a pointer points
/// at). <see cref="HtmlEscapedJson"/>: docker's formatter contexts marshal themselves with encoding/json's default HTML
/// escaping (<c>&lt;none&gt;</c> becomes <c>\u003cnone\u003e</c>) into a map (keys sorted), while inspect data is
/// encoded as declared, without it.
/// </summary>
public sealed record GoStruct(IReadOnlyList<GoField> Fields, bool HtmlEscapedJson = false) : GoValue
{
    public GoValue? Field(string name) => Fields.FirstOrDefault(f => f.Name == name)?.Value;
    public override bool IsTrue => true;
    internal override void Print(StringBuilder text, bool topLevel)
    {
        text.Append('{');
        for (var i = 0; i < Fields.Count; i++)
        {
            if (i > 0) text.Append(' ');
            Fields[i].Value.Print(text, topLevel: false);
        }
        text.Append('}');
    }
}

public enum GoNilKind { Slice, Map, Pointer, Interface, Missing }

/// <summary>A nil of some kind; <see cref="GoNilKind.Missing"/> is the "no value" of a map key that is not there.</summary>
public sealed record GoNil(GoNilKind Kind) : GoValue
{
    public override bool IsTrue => false;
    internal override void Print(StringBuilder text, bool topLevel) => text.Append(Kind switch
    {
        GoNilKind.Slice => "[]",
        GoNilKind.Map => "map[]",
        GoNilKind.Missing => "<no value>",
        _ => "<nil>",
    });
}
