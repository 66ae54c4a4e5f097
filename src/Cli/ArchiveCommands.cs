using System.CommandLine;
using Sbuild.Core;
using Sbuild.Engine;
using Sbuild.Exporter;
using Sbuild.Frontend;
using Sbuild.Registry;

namespace Sbuild.Cli;

/// <summary><c>sbuild save</c>, <c>sbuild load</c> and <c>sbuild image import</c>: images of the store to and from archives, as docker save/load/import.</summary>
public static class ArchiveCommands
{
    public static Command Save(Option<string?> rootOption)
    {
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file instead of standard output" };
        var format = new Option<string>("--format")
        {
            Description = "Archive format: docker (a docker-archive for docker load) or oci (an OCI image layout)",
            DefaultValueFactory = _ => "docker", HelpName = "docker|oci",
        };
        format.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && value is not ("docker" or "oci"))
                result.AddError($"--format \"{value}\": must be docker or oci");
        });
        var names = new Argument<string[]>("IMAGE") { Description = "Images of the store to save", Arity = ArgumentArity.OneOrMore };
        var command = new Command("save", "Save images to a tar archive (a docker-archive, like docker save; or --format oci)") { output, format, names };
        command.SetAction(async (parse, ct) =>
        {
            var store = new ImageStore(StoreLocation.Resolve(parse.GetValue(rootOption)));
            var images = new List<ExportImage>();
            foreach (var text in parse.GetValue(names)!)
            {
                var reference = ImageReference.TryParse(text, out var r) ? r
                    : throw new SbuildException(ErrorCode.InvalidReference, $"sbuild save: invalid image name \"{text}\"");
                var found = store.Find(reference) ?? throw new SbuildException(ErrorCode.ImageNotFound, $"sbuild save: no such image: {text}");
                images.Add(new ExportImage(found.Manifest with { Annotations = null }, [reference], store.Content));
            }
            ImageArchiveWriter writer = parse.GetValue(format) == "oci"
                ? new OciArchiveWriter(SourceDateEpoch.FromEnvironment())
                : new DockerArchiveWriter(SourceDateEpoch.FromEnvironment());
            if (parse.GetValue(output) is { } file)
            {
                ExportDestinations.Check([new ExportOptions { Type = ExportType.Docker, Destination = file }], "--output");
                await writer.WriteToFileAsync(images, file, ct);
                return 0;
            }
            if (!Console.IsOutputRedirected)
                throw new SbuildException(ErrorCode.InvalidOption, "cowardly refusing to save to a terminal: use the -o flag or redirect standard output");
            await using var stdout = Console.OpenStandardOutput();
            await writer.WriteAsync(images, stdout, ct);
            await stdout.FlushAsync(ct);
            return 0;
        });
        return command;
    }

    public static Command Load(Option<string?> rootOption)
    {
        var input = new Option<string?>("--input", "-i") { Description = "Read from this tar archive (plain or compressed) instead of standard input" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing but errors" };
        var command = new Command("load", "Load images from a docker-archive (docker save) or an OCI image layout tar, checking every digest") { input, quiet };
        command.SetAction(async (parse, ct) =>
        {
            var store = new ImageStore(StoreLocation.Resolve(parse.GetValue(rootOption)));
            using var hold = StoreHold.Shared(store.Root);
            var path = parse.GetValue(input);
            if (path is null && !Console.IsInputRedirected)
                throw new SbuildException(ErrorCode.InvalidOption, "sbuild load: requested load from standard input, but it is a terminal: use -i FILE or redirect standard input");
            if (path is not null && !File.Exists(path))
                throw new SbuildException(ErrorCode.InvalidOption, $"--input {path}: no such file");
            await using var stream = path is null ? Console.OpenStandardInput()
                : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            var scratch = StoreLeases.Directory(store.Root, "tmp"); // this process's: a crash leaves nothing that stays
            var loaded = await ImageArchiveLoader.LoadAsync(store, stream, path ?? "standard input", scratch, ct);
            if (parse.GetValue(quiet)) return 0;
            foreach (var image in loaded)
            {
                if (image.Names.Count == 0) Console.Out.WriteLine($"Loaded image ID: {image.ImageId}");
                foreach (var name in image.Names) Console.Out.WriteLine($"Loaded image: {name}");
            }
            return 0;
        });
        return command;
    }

    public static Command Import(Option<string?> rootOption)
    {
        var tarball = new Argument<FileInfo>("ROOTFS.tar") { Description = "A root filesystem tarball (plain, gzip, bzip2, xz or zstd)" };
        var name = new Argument<string>("NAME:TAG") { Description = "Name for the new image" };
        var changes = new Option<string[]>("--change", "-c") { Description = "Apply a Dockerfile instruction to the image config (CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, USER, VOLUME, WORKDIR); repeatable" };
        var platform = new Option<string?>("--platform") { Description = "Platform of the image, OS/ARCH[/VARIANT] (default: the host's)" };
        var command = new Command("import", "Create a one-layer image from a root filesystem tarball (like docker import)") { tarball, name, changes, platform };
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(tarball)!;
            var reference = ImageReference.Parse(parse.GetValue(name)!);
            var config = ImportChanges.Apply(new ContainerConfig(), parse.GetValue(changes) ?? [], "--change");
            var wanted = parse.GetValue(platform) is { } p ? PlatformMatcher.Parse(p, "--platform") : null;
            if (!file.Exists) throw new SbuildException(ErrorCode.ContextNotFound, $"{file.FullName}: no such file");
            var store = new ImageStore(StoreLocation.Resolve(parse.GetValue(rootOption)));
            using var hold = StoreHold.Shared(store.Root);
            var image = await ImageImporter.ImportAsync(store, file.FullName, reference, SourceDateEpoch.FromEnvironment(), config, wanted, ct);
            Console.Out.WriteLine(image.ImageId);
            return 0;
        });
        return command;
    }
}
