using System.Text.Json;
using Sbuild.Engine.Explain;

namespace Sbuild.Engine.Tests;

/// <summary>The comparison of a step's earlier and current cache inputs, and how its result reads.</summary>
public sealed class MissComparisonTests
{
    private static readonly JsonElement Exec = JsonDocument.Parse("""{"op":"exec","args":["/bin/sh","-c","make"],"cwd":"/src","user":""}""").RootElement;

    private static StepInputs Step(string instruction = "RUN make", JsonElement? op = null, IReadOnlyList<string>? env = null, IReadOnlyList<string>? args = null,
        IReadOnlyList<InputRecord>? inputs = null, IReadOnlyList<FileRecord>? files = null) =>
        new()
        {
            Instruction = instruction, Op = op ?? Exec, Env = env ?? ["PATH=/bin"], Args = args ?? [],
            Inputs = inputs ?? [new InputRecord("sha256:parent", "[1/2] FROM busybox", "docker.io/library/busybox:latest@sha256:old")], Files = files,
        };

    private static FileRecord File(string path, string digest = "sha256:1", string mode = "0644", string type = "file") => new(path, type, mode, 1, type == "file" ? digest : null);

    private static string OneLine(StepInputs before, StepInputs after, string step = "COPY . /src")
    {
        var (differences, unchanged) = MissComparison.Compare(before, after, sameKey: false);
        return MissText.OneLine(step, new MissExplanation(differences, unchanged, "b1"));
    }

    [Fact]
    public void Files_changed_added_and_removed_are_named_and_the_rest_counted_without_directories()
    {
        var before = Step(files: [File("src", type: "dir"), File("src/a"), File("src/b"), File("src/c"), File("src/d", mode: "0644")]);
        var after = Step(files: [File("src", type: "dir"), File("src/a", digest: "sha256:2"), File("src/c"), File("src/d", mode: "0755"), File("src/e")]);
        Assert.Equal("COPY . /src — changed src/a (content), changed src/d (mode 0644 → 0755), added src/e, removed src/b; 1 file unchanged",
            OneLine(before, after));
    }

    [Fact]
    public void Files_of_another_stage_are_named_by_their_path_there_with_content_and_owner_changes()
    {
        FileRecord Owned(string path, string digest, string owner) => File(path, digest) with { Owner = owner };
        var stage = new InputRecord("sha256:selection1", "[build 2/2] RUN make");
        var before = Step(inputs: [Step().Inputs[0], stage], files: [File("/out", type: "dir"), Owned("/out/app", "sha256:1", "0:0"), Owned("/out/lib", "sha256:1", "0:0")]);
        var after = Step(inputs: [Step().Inputs[0], stage with { Digest = "sha256:selection2" }],
            files: [File("/out", type: "dir"), Owned("/out/app", "sha256:2", "0:0"), Owned("/out/lib", "sha256:1", "1000:1000")]);
        // The files say what changed in the source stage: no "source changed" beside them.
        Assert.Equal("COPY --from=build /out /out — changed /out/app (content), changed /out/lib (owner 0:0 → 1000:1000); 0 files unchanged",
            OneLine(before, after, "COPY --from=build /out /out"));
    }

    [Fact]
    public void A_downloaded_url_whose_content_changed_names_the_headers_that_changed_too()
    {
        const string Url = "https://example.com/app.tar.gz";
        FileRecord Download(string digest, string? etag, string? modified) => new(Url, "url", "", 10, digest, ETag: etag, Modified: modified);
        var before = Step(files: [Download("sha256:1", "\"v1\"", "Mon, 02 Nov 2026 10:00:00 GMT")]);
        var after = Step(files: [Download("sha256:2", "\"v2\"", "Tue, 03 Nov 2026 10:00:00 GMT")]);
        Assert.Equal($"ADD {Url} /app — changed {Url} (content, ETag \"v1\" → \"v2\", Last-Modified Mon, 02 Nov 2026 10:00:00 GMT → Tue, 03 Nov 2026 10:00:00 GMT); 0 files unchanged",
            OneLine(before, after, $"ADD {Url} /app"));
        // A server that sends neither header: the content alone.
        Assert.Equal($"ADD {Url} /app — changed {Url} (content); 0 files unchanged",
            OneLine(Step(files: [Download("sha256:1", null, null)]), Step(files: [Download("sha256:2", null, null)]), $"ADD {Url} /app"));
    }

    [Fact]
    public void A_file_that_became_a_symlink_says_its_type_changed()
    {
        var before = Step(files: [File("x")]);
        var after = Step(files: [File("x", type: "symlink")]);
        Assert.Equal("COPY . /src — changed x (type file → symlink); 0 files unchanged", OneLine(before, after));
    }

    [Fact]
    public void The_one_line_form_names_five_files_then_counts_the_rest()
    {
        var before = Step(files: []);
        var after = Step(files: Enumerable.Range(0, 8).Select(i => File($"f{i}")).ToList());
        Assert.Equal("COPY . /src — added f0, added f1, added f2, added f3, added f4 and 3 more; 0 files unchanged", OneLine(before, after));
    }

    [Fact]
    public void Variables_are_named_as_arg_or_env_with_both_values_and_unset_ones_said_so()
    {
        var before = Step(env: ["PATH=/bin", "VERSION=1.2", "MODE=fast"], args: ["VERSION"]);
        var after = Step(env: ["PATH=/bin", "VERSION=1.3", "EXTRA=1"], args: ["VERSION"]);
        Assert.Equal("RUN make — ARG VERSION 1.2 → 1.3; ENV MODE fast → (unset); ENV EXTRA (unset) → 1", OneLine(before, after, "RUN make"));
    }

    [Fact]
    public void Changed_instruction_text_hides_the_op_fields_it_implies_on_one_line_but_not_in_the_full_list()
    {
        var before = Step();
        var after = Step("RUN make all", JsonDocument.Parse("""{"op":"exec","args":["/bin/sh","-c","make all"],"cwd":"/src","user":""}""").RootElement);
        var (differences, unchanged) = MissComparison.Compare(before, after, sameKey: false);
        var explanation = new MissExplanation(differences, unchanged, "b1");
        Assert.Equal("RUN make all — instruction text changed", MissText.OneLine("RUN make all", explanation));
        Assert.Equal(["instruction text changed: RUN make → RUN make all", """args: ["/bin/sh","-c","make"] → ["/bin/sh","-c","make all"]"""],
            MissText.AllLines(explanation));
    }

    [Fact]
    public void An_op_field_that_changed_with_the_same_text_is_named_with_both_values()
    {
        var after = Step(op: JsonDocument.Parse("""{"op":"exec","args":["/bin/sh","-c","make"],"cwd":"/app","user":""}""").RootElement);
        Assert.Equal("RUN make — cwd /src → /app", OneLine(Step(), after, "RUN make"));
    }

    [Fact]
    public void A_base_image_that_moved_names_its_new_manifest_and_another_parent_is_named()
    {
        var moved = Step(inputs: [new InputRecord("sha256:parent2", "[1/2] FROM busybox", "docker.io/library/busybox:latest@sha256:new")]);
        Assert.Equal("RUN make — base docker.io/library/busybox:latest moved to sha256:new", OneLine(Step(), moved, "RUN make"));

        var before = Step(inputs: [new InputRecord("sha256:k1", "[2/3] COPY . /src")]);
        var after = Step(inputs: [new InputRecord("sha256:k2", "[2/3] COPY . /src")]);
        Assert.Equal("RUN make — parent step changed: [2/3] COPY . /src", OneLine(before, after, "RUN make"));

        var source = Step(inputs: [before.Inputs[0], new InputRecord("sha256:c1", "[build 3/3] RUN make")]);
        var sourceChanged = Step(inputs: [before.Inputs[0], new InputRecord("sha256:c2", "[build 3/3] RUN make")]);
        Assert.Equal("COPY --from=build — source changed: [build 3/3] RUN make", OneLine(source, sourceChanged, "COPY --from=build"));
    }

    [Fact]
    public void Nothing_different_says_whether_the_result_is_gone_or_the_key_format_moved()
    {
        var (same, _) = MissComparison.Compare(Step(), Step(), sameKey: true);
        Assert.Equal(DifferenceKind.Gone, Assert.Single(same).Kind);
        var (other, _) = MissComparison.Compare(Step(), Step(), sameKey: false);
        Assert.Equal(DifferenceKind.Other, Assert.Single(other).Kind);
    }
}
