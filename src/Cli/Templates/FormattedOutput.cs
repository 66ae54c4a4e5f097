namespace Sbuild.Cli.Templates;

/// <summary>
/// docker's formatter.Context: a <c>--format</c> value run once per row. <c>table …</c> adds a header row (the template
/// run on the column names) and aligns the cells with <see cref="GoTabWriter"/>; <c>json</c> is <c>{{json .}}</c>; any
/// other text is a template printed as is, a line per row. Literal <c>\t</c> and <c>\n</c> in the flag become a tab and
/// a newline, as docker does.
/// </summary>
public static class FormattedOutput
{
    public const string TableKey = "table";

    public static bool IsTable(string format) => format.StartsWith(TableKey, StringComparison.Ordinal);

    public static void Write(TextWriter output, string format, IEnumerable<GoValue> rows, GoValue headers, string flag = "--format")
    {
        var table = IsTable(format);
        var body = (table ? format[TableKey.Length..] : format).Trim(' ').Replace(@"\t", "\t").Replace(@"\n", "\n");
        var template = GoTemplate.Parse(body, flag);
        var text = new System.Text.StringBuilder();
        foreach (var row in rows) text.Append(template.Execute(row)).Append('\n');
        if (!table)
        {
            output.Write(text.ToString());
            return;
        }
        var header = template.Execute(headers, header: true);
        output.Write(GoTabWriter.Format(header + "\n" + text));
    }

    /// <summary>The column names of a table, by field: the value the header row's template runs on.</summary>
    public static GoValue Headers(params (string Field, string Header)[] columns) =>
        new GoMap(columns.ToDictionary(c => c.Field, c => GoValue.Of(c.Header), StringComparer.Ordinal));
}
