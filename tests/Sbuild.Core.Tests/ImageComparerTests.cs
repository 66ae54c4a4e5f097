using System.Text.Json.Nodes;
using Sbuild.TestSupport;

namespace Sbuild.Core.Tests;

/// <summary>The config half of the full image comparison, on JSON written by hand.</summary>
public class ImageComparerTests
{
    private const string Base = """
        {"created":"2024-01-01T00:00:00Z","architecture":"amd64","os":"linux",
         "config":{"Env":["PATH=/bin"],"Cmd":["sh"],"Labels":{"a":"1"}},
         "rootfs":{"type":"layers","diff_ids":["sha256:aa","sha256:bb"]},
         "history":[{"created":"2024-01-01T00:00:00Z","created_by":"base","comment":"imported"},
                    {"created":"2024-01-01T00:00:00Z","created_by":"RUN /bin/sh -c x # buildkit","comment":"buildkit.dockerfile.v0"}]}
        """;

    private static IReadOnlyList<string> Compare(string actual) => ImageComparer.CompareConfigs(Base, actual);

    [Fact]
    public void Times_and_layer_digests_are_left_out_but_the_layer_count_is_not()
    {
        Assert.Empty(Compare(Base
            .Replace("2024-01-01T00:00:00Z", "2025-06-01T12:00:00Z")
            .Replace("sha256:aa", "sha256:cc")));
        Assert.Equal(["rootfs.diff_ids count: 2 (buildkit) vs 1 (sbuild)"], Compare(Base.Replace("\"sha256:aa\",", "")));
    }

    [Fact]
    public void Every_other_field_counts_including_ones_only_one_side_writes()
    {
        var actual = Base
            .Replace("\"os\":\"linux\"", "\"os\":\"linux\",\"variant\":\"v8\",\"author\":\"me\"")
            .Replace("\"Cmd\":[\"sh\"]", "\"Cmd\":null")
            .Replace("\"Labels\":{\"a\":\"1\"}", "\"Labels\":{\"a\":\"2\",\"b\":\"1\"},\"ArgsEscaped\":true");
        Assert.Equal(
        [
            "author: (absent) (buildkit) vs \"me\" (sbuild)",
            "config.ArgsEscaped: (absent) (buildkit) vs true (sbuild)",
            "config.Cmd: [\"sh\"] (buildkit) vs null (sbuild)",
            "config.Labels.a: \"1\" (buildkit) vs \"2\" (sbuild)",
            "config.Labels.b: (absent) (buildkit) vs \"1\" (sbuild)",
            "variant: (absent) (buildkit) vs \"v8\" (sbuild)",
        ], Compare(actual));
    }

    [Fact]
    public void History_entries_are_compared_one_by_one()
    {
        var actual = Base
            .Replace("\"created_by\":\"RUN /bin/sh -c x # buildkit\"", "\"created_by\":\"RUN x\",\"empty_layer\":true")
            .Replace("\"comment\":\"imported\"", "\"comment\":\"imported\",\"author\":\"someone\"");
        Assert.Equal(
        [
            "history[0].author: (absent) (buildkit) vs \"someone\" (sbuild)",
            "history[1].created_by: \"RUN /bin/sh -c x # buildkit\" (buildkit) vs \"RUN x\" (sbuild)",
            "history[1].empty_layer: (absent) (buildkit) vs true (sbuild)",
        ], Compare(actual));

        var shorter = JsonNode.Parse(Base)!;
        shorter["history"]!.AsArray().RemoveAt(1);
        Assert.Equal(["history: 2 entries (buildkit) vs 1 (sbuild)"], Compare(shorter.ToJsonString()));
    }
}
