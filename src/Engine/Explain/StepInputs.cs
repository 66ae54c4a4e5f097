using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sbuild.Engine.Explain;

/// <summary>
/// A readable record of what one step's cache key was made from, kept beside its cache record (the store's
/// <c>cache_inputs</c> table) so a later miss of the same step can say what changed.
/// </summary>
public sealed record StepInputs
{
    /// <summary>The instruction as written in the Dockerfile (or the progress name of a step that has none).</summary>
    public required string Instruction { get; init; }

    /// <summary>The op record after expansion, as the key holds it, minus <see cref="Env"/> (compared by variable instead).</summary>
    public required JsonElement Op { get; init; }

    /// <summary>A RUN's environment, <c>NAME=value</c> entries in order.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];

    /// <summary>The names in <see cref="Env"/> that come from ARGs.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>Per input, in order, what stood in the key for it.</summary>
    public IReadOnlyList<InputRecord> Inputs { get; init; } = [];

    /// <summary>
    /// For COPY and ADD: every selected entry of the context, or of the other stage's filesystem for <c>COPY --from</c>,
    /// and each URL an ADD downloads (null: the step reads no files, or the record of them was not at hand).
    /// </summary>
    public IReadOnlyList<FileRecord>? Files { get; init; }
}

/// <param name="Digest">The input's cache key, or the digest of the content the step reads from it.</param>
/// <param name="Name">The input step's progress name.</param>
/// <param name="Base">For a base image input, the image's name and manifest digest (<c>NAME@sha256:…</c>).</param>
public sealed record InputRecord(string Digest, string Name, string? Base = null);

/// <summary>
/// One entry a COPY or ADD selects: path below the context or the other stage's root, type (<c>file</c>, <c>dir</c>,
/// <c>symlink</c>, <c>hardlink</c>, <c>device</c>, <c>other</c>), permission bits in octal, size, content digest (regular
/// files) or link target (links). <paramref name="Owner"/> (<c>uid:gid</c>) only for <c>COPY --from</c>, which keeps
/// owners: COPY from the context resets them, so they are not in its key either. A URL an ADD downloads is an entry of
/// type <c>url</c> whose path is the URL, with the response's <paramref name="ETag"/> and <paramref name="Modified"/>
/// (Last-Modified) headers when the server sent them.
/// </summary>
public sealed record FileRecord(string Path, string Type, string Mode, long Size, string? Digest = null, string? Target = null,
    string? Owner = null, string? ETag = null, string? Modified = null);

/// <summary>One difference between a step's earlier and current cache inputs.</summary>
/// <param name="Kind">See <see cref="DifferenceKind"/>.</param>
/// <param name="Subject">What differs: a path, a variable name, an op field, an image name, an input step's name.</param>
public sealed record Difference(string Kind, string Subject, string? Before = null, string? After = null);

/// <summary>The values of <see cref="Difference.Kind"/>.</summary>
public static class DifferenceKind
{
    public const string Instruction = "instruction";
    public const string Option = "option";
    public const string Arg = "arg";
    public const string Env = "env";
    public const string Base = "base";
    public const string Parent = "parent";
    public const string Source = "source";
    public const string Changed = "changed";
    public const string Added = "added";
    public const string Removed = "removed";
    public const string Gone = "gone";
    public const string Other = "other";
}

/// <summary>Why a step missed: the differences from the closest earlier record, files left as they were, and that record's build.</summary>
public sealed record MissExplanation(IReadOnlyList<Difference> Differences, int UnchangedFiles, string ComparedWith);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StepInputs))]
[JsonSerializable(typeof(MissExplanation))]
[JsonSerializable(typeof(List<FileRecord>))]
internal sealed partial class ExplainJsonContext : JsonSerializerContext;

/// <summary>The JSON types of this folder for other assemblies (the source-generated context stays internal).</summary>
public static class ExplainJson
{
    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<MissExplanation> MissExplanation => ExplainJsonContext.Default.MissExplanation;
}
