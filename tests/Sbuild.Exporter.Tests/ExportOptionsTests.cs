using Sbuild.Core;

namespace Sbuild.Exporter.Tests;

public sealed class ExportOptionsTests
{
    [Fact]
    public void Parses_an_oci_archive_destination()
    {
        var options = ExportOptions.Parse("type=oci,dest=out/app.tar");

        Assert.Equal(ExportType.Oci, options.Type);
        Assert.Equal("out/app.tar", options.Destination);
        Assert.Empty(options.Names);
        Assert.False(options.WritesToStandardOutput);
        Assert.Null(options.Timestamp);
    }

    [Fact]
    public void Parses_docker_to_standard_output()
    {
        var options = ExportOptions.Parse("type=docker,dest=-");

        Assert.Equal(ExportType.Docker, options.Type);
        Assert.True(options.WritesToStandardOutput);
    }

    [Fact]
    public void Keys_and_type_are_case_insensitive_and_spaces_around_fields_are_ignored()
    {
        var options = ExportOptions.Parse(" Type=OCI , DEST = a b.tar ");

        Assert.Equal(ExportType.Oci, options.Type);
        Assert.Equal("a b.tar", options.Destination);
    }

    [Fact]
    public void A_quoted_name_field_holds_several_names()
    {
        var options = ExportOptions.Parse("type=docker,\"name=app:1,registry.example.com/team/app:2\",dest=x.tar");

        Assert.Equal(["app:1", "registry.example.com/team/app:2"], options.Names.Select(n => n.ToString()));
    }

    [Theory]
    [InlineData("", "the value is empty")]
    [InlineData("./out", "\"./out\" is not key=value (a bare path")]
    [InlineData("type=oci,out.tar", "\"out.tar\" is not key=value (expected")]
    [InlineData("type=oci", "type=oci needs dest=")]
    [InlineData("dest=out.tar", "missing type=")]
    [InlineData("type=local,dest=out", "unsupported type \"local\"")]
    [InlineData("type=oci,dest=out.tar,compression=zstd", "unknown key \"compression\"")]
    [InlineData("type=oci,type=docker,dest=out.tar", "\"type\" is given more than once")]
    [InlineData("type=oci,dest=out.tar,name=Not A Name", "name \"Not A Name\" is not a valid image reference")]
    [InlineData("type=oci,\"dest=out.tar", "a double quote is not closed")]
    [InlineData("type=oci,,dest=out.tar", "empty field")]
    public void Bad_values_are_refused_naming_the_flag_and_the_problem(string value, string problem)
    {
        var error = Assert.Throws<SbuildException>(() => ExportOptions.Parse(value));

        Assert.Equal(ErrorCode.InvalidOption, error.Code);
        Assert.StartsWith($"invalid --output \"{value}\": ", error.Message);
        Assert.Contains(problem, error.Message);
        Assert.Contains("expected type=oci|docker", error.Message);
    }

    [Fact]
    public void Errors_name_the_flag_the_caller_passes()
    {
        var error = Assert.Throws<SbuildException>(() => ExportOptions.Parse("type=zip,dest=x", "-o"));

        Assert.StartsWith("invalid -o \"type=zip,dest=x\": unsupported type \"zip\"", error.Message);
    }
}
