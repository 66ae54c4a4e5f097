using Sbuild.Cli.Images;
using Sbuild.Cli.Templates;
using Sbuild.Core;

namespace Sbuild.Cli.Tests;

/// <summary>
/// The --format machinery against what Go and the docker CLI give (expected values are Go's: text/template, fmt,
/// strconv, text/tabwriter, path.Match and go-units, as documented and as the docker CLI prints them).
/// </summary>
public sealed class GoTemplateTests
{
    private static readonly GoValue Data = new GoStruct(
    [
        new("Name", GoValue.Of("app")),
        new("Tags", GoValue.Strings(["1", "latest"])),
        new("Empty", new GoNil(GoNilKind.Slice)),
        new("Labels", GoValue.StringMap([new("b", "2"), new("a", "<1>")])),
        new("NoLabels", new GoNil(GoNilKind.Map)),
        new("Size", GoValue.Of(1984466)),
        new("On", GoValue.Of(true)),
        new("Health", new GoNil(GoNilKind.Pointer)),
        new("Config", new GoStruct([new("User", GoValue.Of("")), new("Env", GoValue.Strings(["A=1"]))])),
    ]);

    [Theory]
    [InlineData("{{.Name}}", "app")]
    [InlineData("{{.Tags}} {{.Empty}} {{.Labels}} {{.NoLabels}} {{.Health}}", "[1 latest] [] map[a:<1> b:2] map[] <nil>")]
    [InlineData("{{.Config}}", "{ [A=1]}")]
    [InlineData("{{.Labels.a}}|{{.Labels.zz}}|{{index .Labels \"zz\"}}|", "<1>|<no value>||")]
    [InlineData("{{json .}}", "{\"Name\":\"app\",\"Tags\":[\"1\",\"latest\"],\"Empty\":null,\"Labels\":{\"a\":\"<1>\",\"b\":\"2\"},\"NoLabels\":null,\"Size\":1984466,\"On\":true,\"Health\":null,\"Config\":{\"User\":\"\",\"Env\":[\"A=1\"]}}")]
    [InlineData("{{json .Tags}} {{json .Name}}", "[\"1\",\"latest\"] \"app\"")]
    [InlineData("{{index .Tags 1}} {{len .Tags}} {{len .Name}}", "latest 2 3")]
    [InlineData("{{range .Tags}}<{{.}}>{{end}}", "<1><latest>")]
    [InlineData("{{range $i, $t := .Tags}}{{$i}}={{$t}},{{end}}", "0=1,1=latest,")]
    [InlineData("{{range $k, $v := .Labels}}{{$k}}:{{$v}} {{end}}", "a:<1> b:2 ")]
    [InlineData("{{range .Empty}}x{{else}}none{{end}}", "none")]
    [InlineData("{{join .Tags \", \"}}", "1, latest")]
    [InlineData("{{upper .Name}} {{lower \"AbC\"}} {{title \"hello world\"}}", "APP abc Hello World")]
    [InlineData("{{.Name | upper}} {{.Name | printf \"%s-%d\" | lower}}", "APP app-%!d(missing)")]
    [InlineData("{{println .Name .Size}}", "app 1984466\n")]
    [InlineData("{{print .Name .Size 1 2}}", "app1984466 1 2")]
    [InlineData("{{printf \"%q/%v\" .Name .On}}", "\"app\"/true")]
    [InlineData("{{if .Empty}}a{{else if .On}}b{{else}}c{{end}}", "b")]
    [InlineData("{{if and .On .Name}}y{{end}}{{if or .Empty .NoLabels}}n{{else}}z{{end}}{{if not .On}}!{{end}}", "yz")]
    [InlineData("{{if eq .Name \"x\" \"app\"}}eq{{end}} {{if ne .Size 1}}ne{{end}} {{if lt 1 2}}lt{{end}} {{if ge .Size 1984466}}ge{{end}}", "eq ne lt ge")]
    [InlineData("{{with .Config}}{{.Env}}{{end}}{{with .Health}}never{{else}}-{{end}}", "[A=1]-")]
    [InlineData("{{$n := .Name}}{{range .Tags}}{{$n}}:{{.}} {{end}}{{$.Size}}", "app:1 app:latest 1984466")]
    [InlineData("a  {{- .Name -}}  b {{/* a comment */}}c", "aappb c")]
    [InlineData("{{(index .Tags 0) | printf \"%s!\"}}{{truncate .Name 2}}[{{pad .Name 1 2}}]", "1!ap[ app  ]")]
    [InlineData("{{split \"a,b\" \",\"}}", "[a b]")]
    public void Executes_like_go(string template, string expected) =>
        Assert.Equal(expected, GoTemplate.Parse(template).Execute(Data));

    [Theory]
    [InlineData("{{.Name", "unclosed action")]
    [InlineData("{{nosuch .Name}}", "function \"nosuch\" not defined")]
    [InlineData("{{define \"x\"}}{{end}}", "not supported")]
    [InlineData("{{if .On}}x", "if without end")]
    [InlineData("{{end}}", "unexpected {{end}}")]
    [InlineData("{{json.}}", "unexpected <.> in operand")]
    public void Refuses_what_it_cannot_parse_naming_the_flag(string template, string message)
    {
        var e = Assert.Throws<SbuildException>(() => GoTemplate.Parse(template));
        Assert.Equal(ErrorCode.InvalidOption, e.Code);
        Assert.StartsWith($"--format \"{template}\": template parsing error: ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("{{.Nope}}", "can't evaluate field Nope")]
    [InlineData("{{index .Tags 5}}", "index out of range: 5")]
    [InlineData("{{.Health.Test}}", "nil pointer evaluating .Test")]
    public void Execution_errors_name_the_flag(string template, string message)
    {
        var e = Assert.Throws<SbuildException>(() => GoTemplate.Parse(template).Execute(Data));
        Assert.Contains("--format", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Json_escapes_as_encoding_json()
    {
        var value = GoValue.Of("<a> & \"b\"\n\t\u2028\u0001é");
        Assert.Equal("\"<a> & \\\"b\\\"\\n\\t\\u2028\\u0001é\"", GoJson.Encode(value, escapeHtml: false));
        Assert.Equal("\"\\u003ca\\u003e \\u0026 \\\"b\\\"\\n\\t\\u2028\\u0001é\"", GoJson.Encode(value, escapeHtml: true));
        var row = new GoStruct([new("Z", GoValue.Of("<none>")), new("A", GoValue.Of(""))], HtmlEscapedJson: true);
        Assert.Equal("{\"A\":\"\",\"Z\":\"\\u003cnone\\u003e\"}", GoTemplate.Parse("{{json .}}").Execute(row));
        var omit = new GoStruct([new("A", GoValue.Of(""), OmitEmpty: true), new("B", GoValue.Strings([]), OmitEmpty: true), new("C", new GoList([]))]);
        Assert.Equal("{\n  \"C\": []\n}", GoJson.Encode(omit, escapeHtml: true, indent: "  "));
    }

    [Theory]
    [InlineData(0, 3, "0")]
    [InlineData(1, 3, "1")]
    [InlineData(12, 3, "12")]
    [InlineData(120, 3, "120")]
    [InlineData(999.4, 3, "999")]
    [InlineData(999.6, 3, "1e+03")]
    [InlineData(1.984466, 3, "1.98")]
    [InlineData(1.5, 3, "1.5")]
    [InlineData(0.0001234, 3, "0.000123")]
    [InlineData(0.00001234, 3, "1.23e-05")]
    [InlineData(1.984466, 4, "1.984")]
    [InlineData(123456789.0, -1, "1.23456789e+08")]
    [InlineData(0.5, -1, "0.5")]
    [InlineData(100000, -1, "100000")]
    [InlineData(1000000, -1, "1e+06")]
    public void Formats_floats_like_go_g(double value, int precision, string expected) =>
        Assert.Equal(expected, GoNumbers.FormatG(value, precision));

    [Theory]
    [InlineData(0, 3, "0B")]
    [InlineData(999, 3, "999B")]
    [InlineData(1984466, 3, "1.98MB")]
    [InlineData(1984466, 4, "1.984MB")]
    [InlineData(2747000, 4, "2.747MB")]
    [InlineData(999999, 3, "1e+03kB")]
    [InlineData(1000000, 3, "1MB")]
    [InlineData(123456789012, 3, "123GB")]
    public void Human_sizes_are_go_units(long bytes, int precision, string expected) =>
        Assert.Equal(expected, DockerUnits.HumanSize(bytes, precision));

    [Theory]
    [InlineData(0.5, "Less than a second")]
    [InlineData(1, "1 second")]
    [InlineData(59, "59 seconds")]
    [InlineData(60, "About a minute")]
    [InlineData(3599, "59 minutes")]
    [InlineData(3600, "About an hour")]
    [InlineData(5400, "2 hours")]
    [InlineData(47 * 3600, "47 hours")]
    [InlineData(13 * 86400, "13 days")]
    [InlineData(59 * 86400, "8 weeks")]
    [InlineData(700 * 86400, "23 months")]
    [InlineData(20000 * 86400.0, "54 years")]
    public void Human_durations_are_go_units(double seconds, string expected) =>
        Assert.Equal(expected, DockerUnits.HumanDuration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Tables_align_like_text_tabwriter_with_dockers_settings()
    {
        // minwidth 10 (cell + padding 3, at least 10), last cell unpadded, a line without the column ends its block.
        Assert.Equal("A         BBBBBBBBBB   C\nxx        y            z\n", GoTabWriter.Format("A\tBBBBBBBBBB\tC\nxx\ty\tz\n"));
        Assert.Equal("a                  b\nlonger cell text   c\nsingle\nd         e", GoTabWriter.Format("a\tb\nlonger cell text\tc\nsingle\nd\te"));
        Assert.Equal("é         x\n", GoTabWriter.Format("é\tx\n"));
    }

    [Fact]
    public void Buildx_tables_pad_with_tabs_to_multiples_of_eight()
    {
        // tabwriter.NewWriter(out, 1, 8, 1, '\t', 0), worked by hand from Go's writePadding: a column is its widest cell
        // plus 1, rounded up to a multiple of 8, and each cell is followed by as many tabs as reach that width.
        var id = new string('x', 40);
        Assert.Equal("ID\t\t\t\t\t\tRECLAIMABLE\tSIZE\t\tLAST ACCESSED\n" + id + "\ttrue \t\t1.5kB     \t2 hours ago\n",
            GoTabWriter.FormatWithTabs("ID\tRECLAIMABLE\tSIZE\tLAST ACCESSED\n" + id + "\ttrue \t1.5kB     \t2 hours ago\n"));
        Assert.Equal("Reclaimable:\t1B\nTotal:\t\t1B\n", GoTabWriter.FormatWithTabs("Reclaimable:\t1B\nTotal:\t1B\n"));
        Assert.Equal("Total:\t1B\n", GoTabWriter.FormatWithTabs("Total:\t1B\n"));
    }

    [Theory]
    [InlineData("app", "app", true)]
    [InlineData("*", "app", true)]
    [InlineData("*", "team/app", false)]
    [InlineData("*/app", "team/app", true)]
    [InlineData("team/*:1", "team/app:1", true)]
    [InlineData("a?p", "app", true)]
    [InlineData("[a-c]pp", "bpp", true)]
    [InlineData("[^a]pp", "app", false)]
    [InlineData("\\*", "*", true)]
    [InlineData("[", "[", false)]
    public void Reference_patterns_are_go_path_match(string pattern, string name, bool matches) =>
        Assert.Equal(matches, ImageSelection.ReferenceMatches(pattern, name));

    [Fact]
    public void Filters_parse_and_match_labels_as_docker()
    {
        var filters = FilterArgs.Parse(["label=a", "LABEL = b=2 "]);
        Assert.True(filters.MatchLabels("label", new Dictionary<string, string> { ["a"] = "", ["b"] = "2" }));
        Assert.False(filters.MatchLabels("label", new Dictionary<string, string> { ["a"] = "", ["b"] = "3" }));
        Assert.False(filters.MatchLabels("label", null));
        Assert.True(filters.MatchLabels("other", null));
        var bad = Assert.Throws<SbuildException>(() => FilterArgs.Parse(["dangling"]));
        Assert.Contains("--filter \"dangling\": bad format of filter (expected name=value)", bad.Message);
        var unknown = Assert.Throws<SbuildException>(() => FilterArgs.Parse(["color=red"]).Validate(new HashSet<string> { "label" }));
        Assert.Contains("Invalid filter 'color'", unknown.Message);
    }

    [Fact]
    public void Times_print_as_go_prints_them()
    {
        var time = GoTime.Parse("2024-05-01T10:00:00.500000000+02:00");
        Assert.Equal("2024-05-01T10:00:00.5+02:00", time.Rfc3339Nano());
        Assert.Equal(GoTime.Parse("2024-05-01T08:00:00.5Z").Unix, time.Unix);
        Assert.True(GoTime.Parse(null).IsZero);
        Assert.Equal(-62135596800, GoTime.Zero.Unix);
        Assert.Equal("0001-01-01T00:00:00Z", GoTime.Zero.Rfc3339Nano());
        Assert.True(GoTime.Parse("2024-05-01T08:00:00.000000001Z").CompareTo(GoTime.Parse("2024-05-01T08:00:00Z")) > 0);
    }
}
