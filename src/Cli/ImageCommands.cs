using System.CommandLine;
using Sbuild.Cli.Images;
using Sbuild.Cli.Templates;
using Sbuild.Core;
using Sbuild.Registry;

namespace Sbuild.Cli;

/// <summary>
/// docker's image commands on the local store, with docker's flags and output: <c>images</c> / <c>image ls</c>,
/// <c>image inspect</c>, <c>history</c>, <c>tag</c>, <c>rmi</c> / <c>image rm</c> and <c>image prune</c>
/// (docs/images.md says where they differ from docker).
/// </summary>
public static class ImageCommands
{
    /// <summary>Adds the top-level forms (images, history, tag, rmi, inspect) to <paramref name="root"/> and the <c>image …</c> forms to <paramref name="image"/>.</summary>
    public static void AddTo(RootCommand root, Command image, Option<string?> rootOption)
    {
        root.Subcommands.Add(List("images", rootOption));
        var ls = List("ls", rootOption);
        ls.Aliases.Add("list");
        image.Subcommands.Add(ls);
        root.Subcommands.Add(Inspect("inspect", rootOption));
        image.Subcommands.Add(Inspect("inspect", rootOption));
        root.Subcommands.Add(History(rootOption));
        image.Subcommands.Add(History(rootOption));
        root.Subcommands.Add(Tag("tag", rootOption));
        image.Subcommands.Add(Tag("tag", rootOption));
        root.Subcommands.Add(Remove("rmi", rootOption));
        var rm = Remove("rm", rootOption);
        rm.Aliases.Add("remove");
        image.Subcommands.Add(rm);
        image.Subcommands.Add(Prune(rootOption));
    }

    private static Option<string?> FormatOption(string description, bool shortF = false) =>
        shortF ? new("--format", "-f") { Description = description } : new("--format") { Description = description };

    private static Command List(string name, Option<string?> rootOption)
    {
        var repository = new Argument<string?>("REPOSITORY[:TAG]") { Description = "Only images of this name (a pattern, as docker's reference filter)", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all", "-a") { Description = "Show all images (sbuild keeps no intermediate images: the same as without)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image IDs" };
        var digests = new Option<bool>("--digests") { Description = "Show digests" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
        var filters = new Option<string[]>("--filter", "-f") { Description = "Filter output: dangling=true|false, label=KEY[=VALUE], before=IMAGE, since=IMAGE, reference=PATTERN; repeatable" };
        var format = FormatOption("Format output with a Go template: 'table' (default), 'table TEMPLATE' (with headers) or TEMPLATE, e.g. '{{.Repository}}:{{.Tag}}'");
        var tree = new Option<bool>("--tree") { Description = "List images as a tree with their platforms, as docker 29's image ls --tree (untagged images only with -a)" };
        var command = new Command(name, "List images") { repository, all, quiet, digests, noTrunc, filters, format, tree };
        command.SetAction(parse =>
        {
            var filterArgs = FilterArgs.Parse(parse.GetValue(filters) ?? []);
            if (parse.GetValue(repository) is { } repo) filterArgs.Add("reference", repo);
            if (parse.GetValue(tree)) RefuseWithTree(parse.GetValue(quiet), parse.GetValue(noTrunc), parse.GetValue(digests), parse.GetValue(format));
            var catalog = ImageCatalog.Load(OpenStore(parse, rootOption));
            var images = ImageSelection.Select(catalog, filterArgs);
            if (parse.GetValue(tree))
            {
                // docker/cli list.go: without --all, untagged images are left out unless asked for with dangling=true.
                if (!parse.GetValue(all) && (!filterArgs.Contains("dangling") || filterArgs.Get("dangling").Contains("false")))
                    images = images.Where(i => i.RepoTags.Count > 0).ToList();
                Console.Out.Write(ImageTreeView.Render(ImageTree.Of(catalog.Store, images)));
                return 0;
            }
            var showDigests = parse.GetValue(digests);
            var template = ImageListRows.Format(parse.GetValue(format), parse.GetValue(quiet), showDigests);
            FormattedOutput.Write(Console.Out, template,
                ImageListRows.Rows(images, showDigests, truncate: !parse.GetValue(noTrunc), DateTimeOffset.UtcNow), ImageListRows.Headers);
            return 0;
        });
        return command;
    }

    /// <summary>docker/cli list.go's shouldUseTree: the flags --tree does not take, checked in docker's order, with its words.</summary>
    private static void RefuseWithTree(bool quiet, bool noTrunc, bool digests, string? format)
    {
        var refused = quiet ? "--quiet" : noTrunc ? "--no-trunc" : digests ? "--show-digest" : !string.IsNullOrEmpty(format) ? "--format" : null;
        if (refused is not null) throw new SbuildException(ErrorCode.InvalidOption, $"{refused} is not yet supported with --tree");
    }

    private static Command Inspect(string name, Option<string?> rootOption)
    {
        var names = new Argument<string[]>("IMAGE") { Description = "Image names or IDs", Arity = ArgumentArity.OneOrMore };
        var format = FormatOption("Format the output using the given Go template, e.g. '{{json .Config}}'", shortF: true);
        var platform = new Option<string?>("--platform") { Description = "Inspect a specific platform of a multi-platform image: os/arch[/variant] (default: the host's)" };
        var command = new Command(name, "Display detailed information on one or more images") { names, format, platform };
        command.SetAction(parse =>
        {
            var store = OpenStore(parse, rootOption);
            var wantedPlatform = parse.GetValue(platform) is { } p ? PlatformMatcher.Parse(p, "--platform") : null;
            var catalog = ImageCatalog.Load(store, wantedPlatform);
            var found = new List<GoValue>();
            var missing = new List<string>();
            foreach (var wanted in parse.GetValue(names)!)
            {
                var image = catalog.Find(wanted);
                if (image is not null && (wantedPlatform is null || Provides(image, wantedPlatform)))
                    found.Add(ImageInspectDocument.Of(image));
                // moby's errPlatformNotFound: the name exists, the platform does not.
                else if (wantedPlatform is not null && (image ?? ImageCatalog.Load(store).Find(wanted)) is { } other)
                    missing.Add($"image with reference {other.RepoTags.FirstOrDefault() ?? wanted} was found but does not provide the specified platform ({wantedPlatform})");
                else missing.Add($"No such image: {wanted}");
            }
            if (parse.GetValue(format) is { Length: > 0 } template)
            {
                var parsed = GoTemplate.Parse(template.Replace(@"\t", "\t").Replace(@"\n", "\n"));
                foreach (var document in found) Console.Out.WriteLine(parsed.Execute(document));
            }
            else
                Console.Out.WriteLine(found.Count == 0 ? "[]" : GoJson.Encode(new GoList(found), escapeHtml: false, indent: "    "));
            // As docker: what was found is printed, each name not found is an error line, and the exit status is 1.
            foreach (var error in missing) Console.Error.WriteLine($"Error: {error}");
            return missing.Count == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>Whether an image's config says it runs on <paramref name="wanted"/> (a single-platform image has only that one).</summary>
    private static bool Provides(LocalImage image, Platform wanted)
    {
        string? Field(string key) => image.Config.TryGetProperty(key, out var value) && value.ValueKind == System.Text.Json.JsonValueKind.String ? value.GetString() : null;
        return PlatformMatcher.Matches(new Platform { Os = Field("os") ?? "", Architecture = Field("architecture") ?? "", Variant = Field("variant") }, wanted);
    }

    private static Command History(Option<string?> rootOption)
    {
        var image = new Argument<string>("IMAGE") { Description = "Image name or ID" };
        var human = new Option<bool>("--human", "-H") { Description = "Print sizes and dates in human readable format (--human=false: bytes and RFC 3339 times)", DefaultValueFactory = _ => true };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show image IDs" };
        var noTrunc = new Option<bool>("--no-trunc") { Description = "Don't truncate output" };
        var format = FormatOption("Format output with a Go template: 'table' (default), 'table TEMPLATE' or TEMPLATE, e.g. '{{.CreatedBy}}'");
        var command = new Command("history", "Show the history of an image") { image, human, quiet, noTrunc, format };
        command.SetAction(parse =>
        {
            var store = OpenStore(parse, rootOption);
            var found = ImageCatalog.Load(store).Get(parse.GetValue(image)!);
            var isHuman = parse.GetValue(human);
            var template = ImageHistoryRows.Format(parse.GetValue(format), parse.GetValue(quiet), isHuman);
            var rows = ImageHistoryRows.Rows(found, new LayerSizes(store), truncate: !parse.GetValue(noTrunc), isHuman, DateTimeOffset.UtcNow);
            FormattedOutput.Write(Console.Out, template, rows.ToList(), ImageHistoryRows.Headers);
            return 0;
        });
        return command;
    }

    private static Command Tag(string name, Option<string?> rootOption)
    {
        var source = new Argument<string>("SOURCE_IMAGE[:TAG]") { Description = "Image name or ID" };
        var target = new Argument<string>("TARGET_IMAGE[:TAG]") { Description = "The new name" };
        var command = new Command(name, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE") { source, target };
        command.SetAction(parse =>
        {
            var targetText = parse.GetValue(target)!;
            if (!ImageReference.TryParse(targetText, out var reference))
                throw new SbuildException(ErrorCode.InvalidReference, $"Error parsing reference: \"{targetText}\" is not a valid repository/tag: invalid reference format");
            if (reference.Digest is not null)
                throw new SbuildException(ErrorCode.InvalidReference, $"refusing to create a tag with a digest reference: {targetText}");
            var store = OpenStore(parse, rootOption);
            using var hold = StoreHold.Shared(store.Root);
            var sourceText = parse.GetValue(source)!;
            var image = ImageCatalog.Load(store).Get(sourceText);
            // The manifest the source name points at, or the image's first one when it was named by ID.
            var named = ImageReference.TryParse(sourceText, out var sourceReference) ? sourceReference.ToString() : null;
            var entry = image.Entries.FirstOrDefault(e => e.Name == named) ?? image.Entries[0];
            store.Tag(reference, entry.Manifest with { Annotations = null });
            return 0;
        });
        return command;
    }

    private static Command Remove(string name, Option<string?> rootOption)
    {
        var names = new Argument<string[]>("IMAGE") { Description = "Image names or IDs", Arity = ArgumentArity.OneOrMore };
        var force = new Option<bool>("--force", "-f") { Description = "Remove an image that has several names by its ID" };
        var noPrune = new Option<bool>("--no-prune") { Description = "Do not delete untagged parents (sbuild keeps no parent images: no effect)" };
        var command = new Command(name, "Remove one or more images") { names, force, noPrune };
        command.SetAction(parse =>
        {
            var store = OpenStore(parse, rootOption);
            // Exclusive, as prune: no build is between resolving an image and referencing its blobs.
            using var exclusive = StoreLock.Exclusive(store.Root, TimeSpan.FromMinutes(30));
            var removal = new ImageRemoval(store);
            var failed = false;
            foreach (var wanted in parse.GetValue(names)!)
            {
                try
                {
                    foreach (var record in removal.Remove(wanted, parse.GetValue(force)))
                        Console.Out.WriteLine(record.Untagged is { } untagged ? $"Untagged: {untagged}" : $"Deleted: {record.Deleted}");
                }
                catch (SbuildException e) when (e.Code is ErrorCode.ImageNotFound or ErrorCode.InvalidOption)
                {
                    // As docker: the other names are still removed, each failure is a line, the exit status 1.
                    Console.Error.WriteLine($"Error: {e.Message}");
                    failed = true;
                }
            }
            removal.CollectBlobs();
            return failed ? 1 : 0;
        });
        return command;
    }

    private static Command Prune(Option<string?> rootOption)
    {
        var all = new Option<bool>("--all", "-a") { Description = "Remove all images, not just dangling ones (sbuild has no containers that could use one)" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
        var filters = new Option<string[]>("--filter") { Description = "Provide filter values: until=DURATION|TIMESTAMP, label=KEY[=VALUE], label!=KEY[=VALUE]; repeatable" };
        var command = new Command("prune", "Remove unused images") { all, force, filters };
        command.SetAction(parse =>
        {
            var filterArgs = FilterArgs.Parse(parse.GetValue(filters) ?? []);
            var pruneAll = parse.GetValue(all);
            if (!parse.GetValue(force))
            {
                Console.Out.Write(pruneAll
                    ? "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] "
                    : "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ");
                if (Console.ReadLine()?.Trim().ToLowerInvariant() is not ("y" or "yes")) return 0;
            }
            var store = OpenStore(parse, rootOption);
            using var exclusive = StoreLock.Exclusive(store.Root, TimeSpan.FromMinutes(30));
            var removal = new ImageRemoval(store);
            var records = ImagePrune.Run(store, removal, filterArgs, pruneAll, DateTimeOffset.UtcNow);
            removal.CollectBlobs();
            if (records.Count > 0)
            {
                Console.Out.WriteLine("Deleted Images:");
                foreach (var record in records)
                    Console.Out.WriteLine(record.Untagged is { } untagged ? $"untagged: {untagged}" : $"deleted: {record.Deleted}");
                Console.Out.WriteLine();
            }
            Console.Out.WriteLine($"Total reclaimed space: {DockerUnits.HumanSize(removal.Reclaimed)}");
            return 0;
        });
        return command;
    }

    private static ImageStore OpenStore(ParseResult parse, Option<string?> rootOption) => new(StoreLocation.Resolve(parse.GetValue(rootOption)));
}
