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

    [Fact]
    public void Registry_needs_no_destination()
    {
        var options = ExportOptions.Parse("type=registry");

        Assert.Equal(ExportType.Registry, options.Type);
        Assert.Equal("", options.Destination);
        Assert.Empty(options.Names);
        Assert.False(options.WritesToStandardOutput);
    }

    [Fact]
    public void Registry_takes_several_names_in_a_quoted_field()
    {
        // BuildKit's syntax for several names: --output type=image,"name=a,b",push=true
        var options = ExportOptions.Parse("type=registry,\"name=a,b\"");

        Assert.Equal(ExportType.Registry, options.Type);
        Assert.Equal(["a:latest", "b:latest"], options.Names.Select(n => n.ToString()));
    }

    [Fact]
    public void Registry_takes_one_name_and_keeps_its_registry()
    {
        var options = ExportOptions.Parse("Type=Registry,name=127.0.0.1:5000/team/app:1");

        Assert.Equal(ExportType.Registry, options.Type);
        var name = Assert.Single(options.Names);
        Assert.Equal("127.0.0.1:5000", name.Registry);
        Assert.Equal("team/app", name.RemotePath);
    }

    [Theory]
    [InlineData("type=registry,dest=x", "type=registry takes no dest=")]
    [InlineData("type=registry,dest=-", "type=registry takes no dest=")]
    [InlineData("type=registry,name=a,b", "\"b\" is not key=value")]
    [InlineData("type=registry,name=Bad Name", "name \"Bad Name\" is not a valid image reference")]
    public void Registry_refuses_bad_values(string value, string problem)
    {
        var error = Assert.Throws<SbuildException>(() => ExportOptions.Parse(value));

        Assert.Equal(ErrorCode.InvalidOption, error.Code);
        Assert.StartsWith($"invalid --output \"{value}\": ", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Theory]
    [InlineData("type=oci")]
    [InlineData("type=docker")]
    [InlineData("type=oci,name=app:1")]
    [InlineData("type=oci,dest=")]
    public void Archives_still_need_a_destination(string value)
    {
        var error = Assert.Throws<SbuildException>(() => ExportOptions.Parse(value));

        Assert.Equal(ErrorCode.InvalidOption, error.Code);
        Assert.Contains("needs dest=", error.Message);
    }

    [Fact]
    public void Errors_mention_the_registry_type()
    {
        var error = Assert.Throws<SbuildException>(() => ExportOptions.Parse("type=zip,dest=x"));

        Assert.Contains("type=registry", error.Message);
    }
}
