using System.CommandLine;
using System.Text.Json;
using Sbuild.Engine;
using Sbuild.Engine.Cache;
using Sbuild.Core;
using Sbuild.Frontend;
using Sbuild.Exporter;
using Sbuild.Registry;
using Sbuild.Runner.Seccomp;

namespace Sbuild.Cli;

/// <summary><c>sbuild build [flags] PATH</c>: parse the flags into a <see cref="BuildRequest"/> and export options, run, report.</summary>
public static class BuildCommand
{
    public static Command Create(Option<string?> rootOption, Option<string[]> mirrorOption, string name)
    {
        var context = new Argument<string>("PATH") { Description = "Build context: a directory, a git URL (REPO.git, git://, git@, ssh://; #REF:SUBDIR), an http(s) URL of a tar archive or Dockerfile, or - to read a tar archive (or a Dockerfile) from standard input", DefaultValueFactory = _ => "." };
        var tags = new Option<string[]>("--tag", "-t") { Description = "Name and optionally a tag (NAME:TAG); repeatable" };
        var file = new Option<string?>("--file", "-f") { Description = "Dockerfile path (default: PATH/Dockerfile; inside a remote context: relative to its root); - reads it from standard input" };
        var target = new Option<string?>("--target") { Description = "Build this stage instead of the last one" };
        var outputs = new Option<string[]>("--output", "-o") { Description = "Also export: type=image[,push=true], type=oci|docker,dest=FILE.tar|-, type=registry, type=local,dest=DIR or type=tar,dest=FILE|- (PATH and - are short for the last two); image outputs take name=, compression=gzip|zstd|uncompressed, compression-level=N, force-compression=true, oci-mediatypes=true|false, rewrite-timestamp=true, annotation.KEY=VALUE; repeatable (docs/export.md)" };
        var load = new Option<bool>("--load") { Description = "Load the image into docker (a docker-archive piped into `docker load`; same as -o type=docker into docker)" };
        var annotations = new Option<string[]>("--annotation") { Description = "Add an annotation to the image manifest of every image output: KEY=VALUE or manifest:KEY=VALUE; repeatable" };
        var check = new Option<bool>("--check") { Description = "Check the Dockerfile without building: lint warnings and every instruction sbuild cannot build; no base image is pulled. Exit status 1 when something is found" };
        var noCache = new Option<bool>("--no-cache") { Description = "Run every step instead of using the build cache (results are still cached for later builds)" };
        var noCacheFilter = new Option<string[]>("--no-cache-filter") { Description = "Run the steps of these stages (and what uses them) instead of using the cache: STAGE[,STAGE...]; repeatable" };
        var squash = new Option<bool>("--squash") { Description = "Merge the layers made after the base image into one; the history keeps every step (as docker build --squash)" };
        var pull = new Option<bool>("--pull") { Description = "Re-resolve base image tags in their registries even when the local store has them" };
        var push = new Option<bool>("--push") { Description = "Push the image to the registry of each --tag (same as -o type=registry)" };
        var iidfile = new Option<string?>("--iidfile") { Description = "Write the image ID to this file" };
        var metadataFile = new Option<string?>("--metadata-file") { Description = "Write the build result (image and config digests, layers, names) as JSON to this file" };
        var network = new Option<string>("--network")
        {
            Description = "Network of RUN steps without their own --network: default or host (the host's network), or none (loopback only)",
            DefaultValueFactory = _ => "default", HelpName = "default|host|none",
        };
        network.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && value is not ("default" or "host" or "none"))
                result.AddError($"--network \"{value}\": must be default, host or none");
        });
        var secrets = new Option<string[]>("--secret") { Description = "Secret for RUN --mount=type=secret: id=ID,src=FILE or id=ID,env=VAR; repeatable" };
        var ssh = new Option<string[]>("--ssh") { Description = "Forward an ssh-agent to RUN --mount=type=ssh: default (the agent of $SSH_AUTH_SOCK), ID=SOCKET or ID=KEY[,KEY] (private key files, served by an agent for this build); repeatable" };
        var allow = new Option<string[]>("--allow") { Description = "Allow an extra privilege: security.insecure (RUN --security=insecure runs privileged); network.host is always allowed" };
        allow.Validators.Add(result =>
        {
            foreach (var value in result.GetValueOrDefault<string[]>() ?? [])
                if (value is not ("security.insecure" or "network.host"))
                    result.AddError($"--allow \"{value}\": must be security.insecure or network.host");
        });
        var securityOpts = new Option<string[]>("--security-opt")
        {
            Description = "Syscall filter of RUN steps (default: Docker's default seccomp profile; privileged steps have none): seccomp=unconfined for none, or seccomp=PROFILE.json for a profile in Docker's format",
            HelpName = "seccomp=unconfined|seccomp=PROFILE.json",
        };
        securityOpts.Validators.Add(result =>
        {
            foreach (var value in result.GetValueOrDefault<string[]>() ?? [])
                if (!value.StartsWith(SeccompOptionPrefix, StringComparison.Ordinal) || value.Length == SeccompOptionPrefix.Length)
                    result.AddError($"--security-opt \"{value}\": must be seccomp=unconfined or seccomp=PROFILE.json");
        });
        var memory = new Option<string>("--memory", "-m")
        {
            Description = "Memory limit of each RUN (RAM and swap together), in docker's units: 512m, 2g (powers of 1024); at least 6m",
            HelpName = "SIZE",
        };
        memory.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && MemoryLimit(value) is null)
                result.AddError($"--memory \"{value}\": must be a size of at least 6MiB, a number with an optional unit b, k, m or g (such as 512m or 2g)");
        });
                var cacheTo = new Option<string[]>("--cache-to") { Description = "Export the build cache: type=local,dest=DIR or type=registry,ref=NAME[:TAG], with mode=min|max and cache-mounts=true (also the contents of RUN --mount=type=cache directories); repeatable" };
        var cacheFrom = new Option<string[]>("--cache-from") { Description = "Use an exported build cache: type=local,src=DIR, type=registry,ref=NAME[:TAG] or NAME[:TAG]; repeatable" };
        var buildArgs = new Option<string[]>("--build-arg") { Description = "Set a build-time variable NAME=VALUE; repeatable" };
        var progress = new Option<string>("--progress")
        {
            Description = "Progress output: auto (tty if stderr is a terminal, else plain), tty (live steps), plain, quiet or rawjson (BuildKit's JSON, a line per event)",
            DefaultValueFactory = _ => "auto", HelpName = string.Join('|', ProgressDisplay.Modes),
        };
        progress.CompletionSources.Add(ProgressDisplay.Modes);
        progress.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && !ProgressDisplay.Modes.Contains(value))
                result.AddError($"--progress \"{value}\": must be one of {string.Join(", ", ProgressDisplay.Modes)}");
        });

        var onError = new Option<string>("--on-error")
        {
            Description = "When a RUN fails: fail (the default), or shell: run a shell in the failed step's filesystem at once (when standard input is a terminal; as sbuild debug shell --last-failure)",
            DefaultValueFactory = _ => "fail", HelpName = "fail|shell",
        };
        onError.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && value is not ("fail" or "shell"))
                result.AddError($"--on-error \"{value}\": must be fail or shell");
        });
        var platform = new Option<string[]>("--platform") { Description = "Build for these platforms: OS/ARCH[/VARIANT], comma-separated or repeated (default: the host's); several give an image index; RUN for another architecture needs a binfmt_misc emulator (qemu-user-static)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress the build output and print the image ID on success (same as --progress=quiet)" };
        var command = new Command(name, "Build an image from a Dockerfile") { context, tags, file, target, outputs, load, annotations, check, noCache, noCacheFilter, cacheTo, cacheFrom, network, secrets, ssh, allow, securityOpts, memory, squash, pull, push, iidfile, metadataFile, buildArgs, platform, progress, onError, quiet };
        command.SetAction(async (parse, ct) =>
        {
            var contextArg = parse.GetValue(context)!;
            if (contextArg.StartsWith('-') && contextArg != "-")
                throw new SbuildException(ErrorCode.InvalidOption, $"unknown flag {contextArg} (see sbuild --help)");
            var storeRoot = StoreLocation.Resolve(parse.GetValue(rootOption));
            // Opened (or made, after checking that the directory is a store) only when needed: a context from standard
            // input or a remote one is kept in the store's scratch space; `--check` needs no store.
            var openStore = new Lazy<ImageStore>(() => new ImageStore(storeRoot));
            using var stdin = await StandardInputSources.ReadAsync(contextArg == "-", parse.GetValue(file) == "-", openStore, ct);
            using var remote = await RemoteContext.ResolveAsync(contextArg, parse.GetValue(file), openStore, ct);
            var contextDir = stdin?.ContextDir ?? remote?.ContextDir ?? Path.GetFullPath(contextArg);
            if (!Directory.Exists(contextDir))
                throw new SbuildException(ErrorCode.ContextNotFound, $"build context \"{parse.GetValue(context)}\" is not a directory");
            var dockerfile = stdin?.DockerfilePath ?? remote?.DockerfilePath
                ?? (parse.GetValue(file) is { } f ? Path.GetFullPath(f) : Path.Combine(contextDir, "Dockerfile"));
            if (parse.GetValue(check))
                return await CheckDockerfileAsync(new FrontendRequest
                {
                    DockerfilePath = dockerfile, Target = parse.GetValue(target),
                    BuildArgs = KeyValueArgs.Parse(parse.GetValue(buildArgs) ?? [], "--build-arg", Environment.GetEnvironmentVariable),
                    AllowInsecure = (parse.GetValue(allow) ?? []).Contains("security.insecure"),
                }, ct);
            using var sshAgents = await SshForwards.StartAsync(parse.GetValue(ssh) ?? [], "--ssh", Environment.GetEnvironmentVariable, ct);
            var request = new BuildRequest
            {
                ContextDir = contextDir,
                DockerfilePath = dockerfile,
                Target = parse.GetValue(target),
                BuildArgs = KeyValueArgs.Parse(parse.GetValue(buildArgs) ?? [], "--build-arg", Environment.GetEnvironmentVariable),
                Tags = (parse.GetValue(tags) ?? []).Select(ParseTag).ToList(),
                SourceDateEpoch = SourceDateEpoch.FromEnvironment(),
                NoCache = parse.GetValue(noCache),
                Squash = parse.GetValue(squash),
                NoCacheStages = (parse.GetValue(noCacheFilter) ?? [])
                    .SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    .Select(v => v.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal),
                Network = parse.GetValue(network) == "none" ? Sbuild.Frontend.NetworkMode.None : Sbuild.Frontend.NetworkMode.Host,
                AllowInsecure = (parse.GetValue(allow) ?? []).Contains("security.insecure"),
                Seccomp = Seccomp(parse.GetValue(securityOpts) ?? []),
                Limits = new Sbuild.Runner.RunLimits(PidsLimit(), parse.GetValue(memory) is { } limit ? MemoryLimit(limit) : null),
                SshAgents = sshAgents.Sockets,
                Secrets = DebugCommands.Secrets(parse.GetValue(secrets) ?? []),
                CacheTo = (parse.GetValue(cacheTo) ?? []).Select(v => CacheOptionsParser.ParseExport(v, "--cache-to")).ToList(),
                CacheFrom = (parse.GetValue(cacheFrom) ?? []).Select(v => CacheOptionsParser.ParseImport(v, "--cache-from")).ToList(),
                Platforms = BuildPlatforms.Parse(parse.GetValue(platform) ?? []),
            };
            var multiPlatform = request.Platforms.Count > 1;
            var flagAnnotations = ImageAnnotations.ParseFlag(parse.GetValue(annotations) ?? [], "--annotation", multiPlatform);
            var exports = (parse.GetValue(outputs) ?? []).Select(o => ExportOptions.Parse(o, "--output", multiPlatform)).ToList();
            if (parse.GetValue(push)) exports.Add(new ExportOptions { Type = ExportType.Registry, Destination = "", Push = true });
            exports = exports.Select(e => WithAnnotations(e, flagAnnotations)).ToList();
            ExportDestinations.Check(exports, "--output");
            foreach (var export in exports.Where(e => e.Push && e.Names.Count == 0 && request.Tags.Count == 0))
                throw new SbuildException(ErrorCode.InvalidOption, "--push and -o type=registry (or push=true) need a name: give --tag NAME (or name= in -o)");
            BuildPlatforms.CheckOutputs(request.Platforms, exports, parse.GetValue(load));
            var dockerLoad = parse.GetValue(load) ? DockerLoad.Find() : null;

            var store = openStore.Value;
            using var hold = StoreHold.Shared(storeRoot);
            using var display = ProgressDisplay.Create(parse.GetValue(quiet) ? "quiet" : parse.GetValue(progress)!, ct);
            using var registries = Registries.Session(parse.GetValue(mirrorOption) ?? []);
            var images = new PullingImageSource(store, new ImagePuller(registries, store, display.Note), parse.GetValue(pull));
            var snapshotter = StoreSnapshotter.Choose(store.Root, display);
            var builder = new ImageBuilder(store, display, display, new BuildEnvironment(Runtimes.ChosenOnFirstUse(store.Root, display), images, snapshotter, registries));
            BuildResult result;
            var started = DateTimeOffset.UtcNow;
            try
            {
                result = await builder.BuildAsync(request, ct);
            }
            catch (SbuildException e) when (e.Code == ErrorCode.RunFailed && parse.GetValue(onError) == "shell" && !Console.IsInputRedirected
                                            && Engine.Debugging.KeptFailures.List(store.Root).LastOrDefault(f => f.Created >= started) is { } failure)
            {
                // The build has failed: its display ends first, then the shell has the terminal; the error follows it.
                display.Dispose();
                await DebugCommands.RunAsync(store, failure, [], request.Secrets, request.SshAgents, CancellationToken.None);
                throw;
            }

            var scratch = StoreLeases.Directory(store.Root, "tmp"); // this process's: a crash leaves nothing that stays
            foreach (var export in exports)
                await ExportAsync(export, result, request, store, registries, scratch, display.Note, ct);
            if (dockerLoad is not null)
            {
                var asDocker = WithAnnotations(new ExportOptions { Type = ExportType.Docker, Destination = "" }, flagAnnotations);
                var manifest = await ImageEncoder.EncodeAsync(store.Content, result.Manifest, result.BaseLayerCount, asDocker.Encoding, asDocker.OciMediaTypes, ct);
                await dockerLoad.RunAsync(new ExportImage(manifest, request.Tags, store.Content), request.SourceDateEpoch, display.Note, ct);
            }
            if (parse.GetValue(iidfile) is { } iid) AtomicFile.WriteAllBytes(Path.GetFullPath(iid), System.Text.Encoding.UTF8.GetBytes(result.ImageId.ToString()));
            if (parse.GetValue(metadataFile) is { } metadata)
            {
                var names = exports.Where(e => e.Type is ExportType.Registry or ExportType.Image).SelectMany(e => e.Names).Concat(request.Tags).Distinct().ToList();
                var layers = result.Images.Count == 0 ? store.ReadManifest(result.Manifest.Digest).Layers : null;
                AtomicFile.WriteAllBytes(Path.GetFullPath(metadata), BuildMetadata.Serialize(result, names, layers));
            }
            foreach (var tag in request.Tags) display.Note($"naming to {tag}");
            // The build's own hold goes first: collecting needs the store to itself, and skips if another command runs.
            hold.Dispose();
            CacheCommands.CollectAfterBuild(store, display.Note);
            foreach (var warning in result.Warnings) display.Warning(warning);
            display.Complete();
            // The image ID goes to stdout unless an export already streams an archive there.
            if (!exports.Any(e => e.WritesToStandardOutput)) Console.Out.WriteLine(result.ImageId);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// One <c>-o</c>: the image re-encoded as the output asks (compression, media types, annotations), then named in the
    /// store (type=image), pushed (type=registry, push=true) or written out (archives, local directory, tar).
    /// </summary>
    private static async Task ExportAsync(ExportOptions export, BuildResult result, BuildRequest request, ImageStore store,
        RegistrySession registries, string scratch, Action<string> note, CancellationToken ct)
    {
        var manifest = export.IsImage ? await BuildPlatforms.EncodeAsync(store.Content, result, export, ct) : result.Manifest;
        var names = export.Names.Count > 0 ? export.Names : request.Tags;
        if (export.Type == ExportType.Image)
            foreach (var name in names) store.Tag(name, manifest);
        if (export.Type is ExportType.Image or ExportType.Registry)
        {
            if (!export.Push) return;
            var pusher = new ImagePusher(registries, store, note);
            foreach (var destination in names) await pusher.PushAsync(manifest, destination, ct);
            return;
        }
        var exporter = ImageExporters.Create(export with { Timestamp = export.Timestamp ?? request.SourceDateEpoch }, scratchRoot: scratch);
        await exporter.ExportAsync(new ExportImage(manifest, request.Tags, store.Content), ct);
        note($"exported {export.Type.ToString().ToLowerInvariant()} {(export.IsImage ? "image" : "root file system")} to {export.Destination}");
    }

    // buildx adds --annotation values to every image output; an -o annotation.KEY of the same key wins.
    private static ExportOptions WithAnnotations(ExportOptions export,
        (SortedDictionary<string, string> Manifest, SortedDictionary<string, string> Index) annotations)
    {
        if (!export.IsImage || annotations.Manifest.Count + annotations.Index.Count == 0) return export;
        return export with
        {
            Encoding = export.Encoding with
            {
                ManifestAnnotations = Merged(annotations.Manifest, export.Encoding.ManifestAnnotations),
                IndexAnnotations = Merged(annotations.Index, export.Encoding.IndexAnnotations),
            },
        };

        static SortedDictionary<string, string> Merged(SortedDictionary<string, string> flag, IReadOnlyDictionary<string, string> output)
        {
            var merged = new SortedDictionary<string, string>(flag, StringComparer.Ordinal);
            foreach (var (key, value) in output) merged[key] = value;
            return merged;
        }
    }

    /// <summary>
    /// <c>--check</c>, like <c>docker build --check</c>: each finding on a line of its own, then a summary; exit status 1
    /// when anything was found.
    /// </summary>
    private static async Task<int> CheckDockerfileAsync(FrontendRequest request, CancellationToken ct)
    {
        // As in a build, reading and planning are abandoned on a signal.
        var result = await AbandonableWork.RunAsync(() => DockerfileFrontend.Check(request), ct);
        foreach (var warning in result.Warnings) Console.Out.WriteLine("WARNING: " + warning);
        foreach (var problem in result.Problems) Console.Out.WriteLine("NOT SUPPORTED: " + problem);
        var found = result.Warnings.Count + result.Problems.Count;
        Console.Out.WriteLine(found == 0 ? "Check complete, no warnings found."
            : $"Check complete, {found} {(found == 1 ? "warning has" : "warnings have")} been found!");
        return found == 0 ? 0 : 1;
    }

    /// <summary>docker's smallest memory limit (a smaller one cannot even start a container's runtime).</summary>
    private const long MinimumMemoryLimit = 6L << 20;

    /// <summary>A <c>--memory</c> value in bytes; null when it is not a size or below docker's minimum.</summary>
    private static long? MemoryLimit(string value) =>
        ByteSize.TryParse(value, out var bytes) && bytes >= MinimumMemoryLimit ? bytes : null;

    /// <summary>docker daemon.json's <c>default-pids-limit</c> in sbuild's config file (a whole number; 0 or less: no limit),
    /// else sbuild's default.</summary>
    private static long? PidsLimit()
    {
        const string Key = "default-pids-limit";
        if (ConfigFiles.Find() is not { } path) return Sbuild.Runner.RunLimits.DefaultPids;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!document.RootElement.TryGetProperty(Key, out var value)) return Sbuild.Runner.RunLimits.DefaultPids;
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var limit))
                throw new SbuildException(ErrorCode.InvalidOption, $"{path}: {Key}: must be a whole number (0 or less: no limit), not {value.GetRawText()}");
            return limit > 0 ? limit : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new SbuildException(ErrorCode.InvalidOption, $"{path}: {e.Message}");
        }
    }

    private const string SeccompOptionPrefix = "seccomp=";

    /// <summary>The profile the last <c>--security-opt seccomp=…</c> names (docker's rule), else Docker's default.</summary>
    private static SeccompProfile? Seccomp(string[] values)
    {
        if (values.LastOrDefault() is not { } option) return SeccompProfile.Default;
        var value = option[SeccompOptionPrefix.Length..];
        if (value == "unconfined") return null;
        try
        {
            return SeccompProfile.Load(value);
        }
        catch (SbuildException e)
        {
            throw new SbuildException(e.Code, $"--security-opt \"{option}\": {e.Message}", e);
        }
    }

    private static ImageReference ParseTag(string text) =>
        ImageReference.TryParse(text, out var reference) && reference.Digest is null
            ? reference
            : throw new SbuildException(ErrorCode.InvalidOption, $"--tag \"{text}\": invalid image name: expected NAME[:TAG] in lower case");
}
