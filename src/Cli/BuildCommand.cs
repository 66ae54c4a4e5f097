using System.CommandLine;
using Sbuild.Build;
using Sbuild.Core;
using Sbuild.Exporter;

namespace Sbuild.Cli;

/// <summary><c>sbuild build [flags] PATH</c>: parse the flags into a <see cref="BuildRequest"/> and export options, run, report.</summary>
public static class BuildCommand
{
    public static Command Create(Option<string?> rootOption, string name)
    {
        var context = new Argument<string>("PATH") { Description = "Build context directory", DefaultValueFactory = _ => "." };
        var tags = new Option<string[]>("--tag", "-t") { Description = "Name and optionally a tag (NAME:TAG); repeatable" };
        var file = new Option<string?>("--file", "-f") { Description = "Dockerfile path (default: PATH/Dockerfile)" };
        var target = new Option<string?>("--target") { Description = "Build this stage instead of the last one" };
        var outputs = new Option<string[]>("--output", "-o") { Description = "Also export: type=oci,dest=FILE.tar or type=docker,dest=FILE.tar; repeatable" };
        var iidfile = new Option<string?>("--iidfile") { Description = "Write the image ID to this file" };
        var buildArgs = new Option<string[]>("--build-arg") { Description = "Set a build-time variable NAME=VALUE; repeatable" };
        var progress = new Option<string>("--progress") { Description = "Progress output: auto, plain or quiet", DefaultValueFactory = _ => "auto" };
        progress.AcceptOnlyFromAmong("auto", "plain", "quiet");

        var command = new Command(name, "Build an image from a Dockerfile") { context, tags, file, target, outputs, iidfile, buildArgs, progress };
        command.SetAction(async (parse, ct) =>
        {
            var contextArg = parse.GetValue(context)!;
            if (contextArg.StartsWith('-'))
                throw new SbuildException(ErrorCode.InvalidOption, $"unknown flag {contextArg} (see sbuild --help)");
            var contextDir = Path.GetFullPath(contextArg);
            if (!Directory.Exists(contextDir))
                throw new SbuildException(ErrorCode.ContextNotFound, $"build context \"{parse.GetValue(context)}\" is not a directory");
            var dockerfile = parse.GetValue(file) is { } f ? Path.GetFullPath(f) : Path.Combine(contextDir, "Dockerfile");
            var request = new BuildRequest
            {
                ContextDir = contextDir,
                DockerfilePath = dockerfile,
                Target = parse.GetValue(target),
                BuildArgs = KeyValueArgs.Parse(parse.GetValue(buildArgs) ?? [], "--build-arg", Environment.GetEnvironmentVariable),
                Tags = (parse.GetValue(tags) ?? []).Select(ParseTag).ToList(),
                SourceDateEpoch = SourceDateEpoch.FromEnvironment(),
            };
            var exports = (parse.GetValue(outputs) ?? []).Select(o => ExportOptions.Parse(o, "--output")).ToList();

            var store = new ImageStore(StoreLocation.Resolve(parse.GetValue(rootOption)));
            var quiet = parse.GetValue(progress) == "quiet";
            var display = new PlainProgress(Console.Error, quiet);
            var builder = new ImageBuilder(store, display, display, Runtimes.Environment(store.Root, display));
            var result = await builder.BuildAsync(request, ct);

            foreach (var export in exports)
            {
                var exporter = ImageExporters.Create(export with { Timestamp = export.Timestamp ?? request.SourceDateEpoch });
                await exporter.ExportAsync(new ExportImage(result.Manifest, request.Tags, store.Content), ct);
                display.Note($"exported {export.Type.ToString().ToLowerInvariant()} image to {export.Destination}");
            }
            foreach (var warning in result.Warnings) Console.Error.WriteLine($"WARN: {warning}");
            if (parse.GetValue(iidfile) is { } iid) AtomicFile.WriteAllBytes(Path.GetFullPath(iid), System.Text.Encoding.UTF8.GetBytes(result.ImageId.ToString()));
            foreach (var tag in request.Tags) display.Note($"naming to {tag}");
            // The image ID goes to stdout unless an export already streams an archive there.
            if (!exports.Any(e => e.WritesToStandardOutput)) Console.Out.WriteLine(result.ImageId);
            return 0;
        });
        return command;
    }

    private static ImageReference ParseTag(string text) =>
        ImageReference.TryParse(text, out var reference) && reference.Digest is null
            ? reference
            : throw new SbuildException(ErrorCode.InvalidOption, $"--tag \"{text}\": invalid image name: expected NAME[:TAG] in lower case");
}
