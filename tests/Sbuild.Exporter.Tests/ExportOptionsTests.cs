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
    [InlineData("type=oci,out.tar", "\"out.tar\" is not key=value (expected")]
    [InlineData("type=oci", "type=oci needs dest=")]
    [InlineData("dest=out.tar", "missing type=")]
    [InlineData("type=zip,dest=out", "unsupported type \"zip\"")]
    [InlineData("type=oci,dest=out.tar,compress=zstd", "unknown key \"compress\"")]
    [InlineData("type=oci,dest=out.tar,compression=brotli", "compression \"brotli\" must be gzip, zstd or uncompressed")]
    [InlineData("type=oci,dest=out.tar,compression=zstd,compression-level=0", "compression-level=0 is out of range for zstd (1 to 22)")]
    [InlineData("type=oci,dest=out.tar,force-compression=yes", "force-compression=\"yes\" must be true or false")]
    [InlineData("type=oci,dest=out.tar,push=true", "push= belongs to type=image, not type=oci")]
    [InlineData("type=oci,dest=out.tar,annotation-index.a=b", "index annotations are not supported for a single-platform image")]
    [InlineData("type=oci,dest=out.tar,annotation.=b", "\"annotation.\" names no annotation key")]
    [InlineData("type=tar,dest=out.tar,name=a", "unknown key \"name\" for type=tar (it takes only dest=)")]
    [InlineData("type=local", "type=local needs dest=")]
    [InlineData("type=local,dest=-", "type=local cannot write to standard output")]
    [InlineData("type=image,dest=x", "type=image takes no dest=")]
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
        Assert.Contains("(expected type=image", error.Message);
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

    [Theory]
    [InlineData("./out", ExportType.Local, "./out")]
    [InlineData("-", ExportType.Tar, "-")]
    public void A_bare_path_is_a_local_export_and_a_dash_a_tar_to_standard_output_as_in_buildx(string value, ExportType type, string destination)
    {
        var options = ExportOptions.Parse(value);

        Assert.Equal((type, destination), (options.Type, options.Destination));
        Assert.False(options.IsImage);
    }

    [Fact]
    public void Image_options_are_parsed_as_buildkit_names_them()
    {
        var options = ExportOptions.Parse("type=image,name=app:1,push=true,compression=zstd,compression-level=19,force-compression=true,oci-mediatypes=false,rewrite-timestamp=true,annotation.a=1,annotation-manifest.b=2");

        Assert.Equal(ExportType.Image, options.Type);
        Assert.True(options.Push);
        Assert.Equal(LayerCompression.Zstd, options.Encoding.Compression);
        Assert.Equal(19, options.Encoding.CompressionLevel);
        Assert.True(options.Encoding.ForceCompression);
        Assert.False(options.OciMediaTypes);
        Assert.True(options.Encoding.RewriteTimestamp);
        Assert.Equal(new SortedDictionary<string, string> { ["a"] = "1", ["b"] = "2" }, options.Encoding.ManifestAnnotations);
    }

    [Theory]
    [InlineData("type=docker,dest=x.tar", false)]
    [InlineData("type=docker,dest=x.tar,oci-mediatypes=true", true)]
    [InlineData("type=oci,dest=x.tar", true)]
    [InlineData("type=image", true)]
    [InlineData("type=registry", true)]
    public void Docker_archives_default_to_docker_media_types_the_others_to_oci(string value, bool oci)
    {
        Assert.Equal(oci, ExportOptions.Parse(value).OciMediaTypes);
    }

    [Fact]
    public void Registry_is_image_with_push()
    {
        Assert.True(ExportOptions.Parse("type=registry").Push);
        Assert.False(ExportOptions.Parse("type=image").Push);
    }

    [Theory]
    [InlineData("a=1", "a", "1")]
    [InlineData("manifest:org.example=x=y", "org.example", "x=y")]
    public void Annotation_flag_values_become_manifest_annotations(string value, string key, string expected)
    {
        Assert.Equal(expected, ImageAnnotations.ParseFlag([value], "--annotation").Manifest[key]);
    }

    [Fact]
    public void Index_annotations_are_taken_for_several_platforms_only()
    {
        var (manifest, index) = ImageAnnotations.ParseFlag(["index:org.example.i=1", "org.example.m=2"], "--annotation", multiPlatform: true);
        Assert.Equal(new Dictionary<string, string> { ["org.example.i"] = "1" }, index);
        Assert.Equal(new Dictionary<string, string> { ["org.example.m"] = "2" }, manifest);
        Assert.Equal("3", ExportOptions.Parse("type=oci,dest=x.tar,annotation-index.k=3", multiPlatform: true).Encoding.IndexAnnotations["k"]);
        Assert.Throws<SbuildException>(() => ExportOptions.Parse("type=oci,dest=x.tar,annotation-index.k=3"));
    }

    [Theory]
    [InlineData("index:a=1", "index annotations are not supported")]
    [InlineData("platform:a=1", "unknown annotation type \"platform\"")]
    [InlineData("novalue", "not KEY=VALUE")]
    [InlineData("manifest:=1", "the annotation key is empty")]
    public void Bad_annotation_flags_name_the_flag(string value, string problem)
    {
        var error = Assert.Throws<SbuildException>(() => ImageAnnotations.ParseFlag([value], "--annotation"));

        Assert.StartsWith($"invalid --annotation \"{value}\": ", error.Message);
        Assert.Contains(problem, error.Message);
    }
}
