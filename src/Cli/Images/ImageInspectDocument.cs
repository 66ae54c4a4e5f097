using System.Text.Json;
using Sbuild.Cli.Templates;

namespace Sbuild.Cli.Images;

/// <summary>
/// <c>sbuild image inspect</c>'s object: docker 20.10's types.ImageInspect with its fields in order, filled from the
/// image config as dockerd decodes it (container.Config's fields, zero values for what the config lacks). What only a
/// daemon has is empty: <c>Parent</c> (no intermediate images), <c>GraphDriver</c> (no graph driver: Data null, Name
/// ""), <c>Metadata.LastTagTime</c> (tag times are not kept: the zero time, as for a loaded image).
/// </summary>
public static class ImageInspectDocument
{
    public static GoValue Of(LocalImage image)
    {
        var config = image.Config;
        var rootfs = Property(config, "rootfs");
        return new GoStruct(
        [
            new("Id", GoValue.Of(image.Id.ToString())),
            new("RepoTags", new GoList(image.RepoTags.Select(GoValue.Of).ToList())),
            new("RepoDigests", new GoList(image.RepoDigests.Select(GoValue.Of).ToList())),
            new("Parent", GoValue.Of("")),
            // dockerd shows the last history entry's comment when the image has none of its own.
            new("Comment", GoValue.Of(Text(config, "comment") is { Length: > 0 } comment ? comment : LastHistoryComment(config))),
            new("Created", GoValue.Of(image.Created.Rfc3339Nano())),
            new("Container", GoValue.Of(Text(config, "container"))),
            new("ContainerConfig", ContainerConfig(Property(config, "container_config"))),
            new("DockerVersion", GoValue.Of(Text(config, "docker_version"))),
            new("Author", GoValue.Of(Text(config, "author"))),
            new("Config", Property(config, "config") is { ValueKind: JsonValueKind.Object } c ? ContainerConfig(c) : new GoNil(GoNilKind.Pointer)),
            new("Architecture", GoValue.Of(Text(config, "architecture"))),
            new("Variant", GoValue.Of(Text(config, "variant")), OmitEmpty: true),
            new("Os", GoValue.Of(Text(config, "os"))),
            new("OsVersion", GoValue.Of(Text(config, "os.version")), OmitEmpty: true),
            new("Size", GoValue.Of(image.Size)),
            new("VirtualSize", GoValue.Of(image.Size)),
            new("GraphDriver", new GoStruct([new("Data", new GoNil(GoNilKind.Map)), new("Name", GoValue.Of(""))])),
            new("RootFS", new GoStruct(
            [
                new("Type", GoValue.Of(Text(rootfs, "type"))),
                new("Layers", Strings(rootfs, "diff_ids"), OmitEmpty: true),
                new("BaseLayer", GoValue.Of(""), OmitEmpty: true),
            ])),
            new("Metadata", new GoStruct([new("LastTagTime", new GoStringer("0001-01-01 00:00:00 +0000 UTC", GoTime.Zero.Rfc3339Nano()))])),
        ]);
    }

    /// <summary>container.Config of docker 20.10, field by field (its JSON names and omitempty tags).</summary>
    private static GoValue ContainerConfig(JsonElement? config) => new GoStruct(
    [
        new("Hostname", GoValue.Of(Text(config, "Hostname"))),
        new("Domainname", GoValue.Of(Text(config, "Domainname"))),
        new("User", GoValue.Of(Text(config, "User"))),
        new("AttachStdin", GoValue.Of(Bool(config, "AttachStdin"))),
        new("AttachStdout", GoValue.Of(Bool(config, "AttachStdout"))),
        new("AttachStderr", GoValue.Of(Bool(config, "AttachStderr"))),
        new("ExposedPorts", EmptyObjectMap(config, "ExposedPorts"), OmitEmpty: true),
        new("Tty", GoValue.Of(Bool(config, "Tty"))),
        new("OpenStdin", GoValue.Of(Bool(config, "OpenStdin"))),
        new("StdinOnce", GoValue.Of(Bool(config, "StdinOnce"))),
        new("Env", Strings(config, "Env")),
        new("Cmd", Strings(config, "Cmd")),
        new("Healthcheck", Healthcheck(Property(config, "Healthcheck")), OmitEmpty: true),
        new("ArgsEscaped", GoValue.Of(Bool(config, "ArgsEscaped")), OmitEmpty: true),
        new("Image", GoValue.Of(Text(config, "Image"))),
        new("Volumes", EmptyObjectMap(config, "Volumes")),
        new("WorkingDir", GoValue.Of(Text(config, "WorkingDir"))),
        new("Entrypoint", Strings(config, "Entrypoint")),
        new("NetworkDisabled", GoValue.Of(Bool(config, "NetworkDisabled")), OmitEmpty: true),
        new("MacAddress", GoValue.Of(Text(config, "MacAddress")), OmitEmpty: true),
        new("OnBuild", Strings(config, "OnBuild")),
        new("Labels", Property(config, "Labels") is { ValueKind: JsonValueKind.Object } labels
            ? new GoMap(labels.EnumerateObject().ToDictionary(p => p.Name, p => GoValue.Of(p.Value.ToString()), StringComparer.Ordinal))
            : new GoNil(GoNilKind.Map)),
        new("StopSignal", GoValue.Of(Text(config, "StopSignal")), OmitEmpty: true),
        new("StopTimeout", Property(config, "StopTimeout") is { ValueKind: JsonValueKind.Number } t ? GoValue.Of(t.GetInt64()) : new GoNil(GoNilKind.Pointer), OmitEmpty: true),
        new("Shell", Strings(config, "Shell"), OmitEmpty: true),
    ]);

    private static GoValue Healthcheck(JsonElement? health) => health is not { ValueKind: JsonValueKind.Object }
        ? new GoNil(GoNilKind.Pointer)
        : new GoStruct(
        [
            new("Test", Strings(health, "Test"), OmitEmpty: true),
            new("Interval", GoValue.Of(Number(health, "Interval")), OmitEmpty: true),
            new("Timeout", GoValue.Of(Number(health, "Timeout")), OmitEmpty: true),
            new("StartPeriod", GoValue.Of(Number(health, "StartPeriod")), OmitEmpty: true),
            new("Retries", GoValue.Of(Number(health, "Retries")), OmitEmpty: true),
        ]);

    /// <summary>A set such as Volumes or ExposedPorts: map[string]struct{}, each value printing as <c>{}</c>.</summary>
    private static GoValue EmptyObjectMap(JsonElement? config, string name) => Property(config, name) is { ValueKind: JsonValueKind.Object } set
        ? new GoMap(set.EnumerateObject().ToDictionary(p => p.Name, _ => (GoValue)new GoStruct([]), StringComparer.Ordinal))
        : new GoNil(GoNilKind.Map);

    private static string LastHistoryComment(JsonElement config) =>
        Property(config, "history") is { ValueKind: JsonValueKind.Array } history && history.GetArrayLength() > 0
            ? Text(history[history.GetArrayLength() - 1], "comment") : "";

    private static JsonElement? Property(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string Text(JsonElement? element, string name) => Property(element, name) is { ValueKind: JsonValueKind.String } v ? v.GetString()! : "";

    private static bool Bool(JsonElement? element, string name) => Property(element, name) is { ValueKind: JsonValueKind.True };

    private static long Number(JsonElement? element, string name) => Property(element, name) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt64(out var n) ? n : 0;

    private static GoValue Strings(JsonElement? element, string name) => Property(element, name) switch
    {
        { ValueKind: JsonValueKind.Array } array => new GoList(array.EnumerateArray().Select(i => GoValue.Of(i.ToString())).ToList()),
        // strslice.StrSlice also takes a single string.
        { ValueKind: JsonValueKind.String } one => new GoList([GoValue.Of(one.GetString()!)]),
        _ => new GoNil(GoNilKind.Slice),
    };
}
