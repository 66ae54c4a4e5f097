using System.Globalization;
using Sbuild.Core;
using Sbuild.Git;
using Sbuild.Parser;

namespace Sbuild.Frontend;

/// <summary>
/// Converts stages into a graph of op definitions, one small handler per instruction. Stages are converted on demand,
/// so a stage the target does not need is never looked at (as in BuildKit), and each at most once.
/// </summary>
public sealed class StageConverter(BuildDefinition definition, BuildArgs buildArgs, IReadOnlySet<string> userArgNames, IImageResolver images,
    FrontendRequest request)
{
    public static readonly IReadOnlyList<string> DefaultShell = ["/bin/sh", "-c"];
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /// <summary>The history comment BuildKit's Dockerfile frontend writes; tools recognise Dockerfile steps by it.</summary>
    public const string HistoryComment = "buildkit.dockerfile.v0";

    private readonly Dictionary<int, StagePlan> _plans = [];
    private readonly Dictionary<(string Reference, Platform Platform), (OpNode Fs, ImageConfig Config)> _images = [];
    private readonly ShellLex _lex = new(definition.EscapeToken);
    /// <summary>
    /// Expands COPY/ADD here-document bodies whose delimiter was not quoted, as BuildKit's ExpandRaw does: the backslash
    /// escapes whatever the escape directive says, and quotes stay as they are (the body is file content).
    /// </summary>
    private static readonly ShellLex HeredocLex = new('\\') { SkipProcessQuotes = true };

    public StagePlan Plan(int index)
    {
        if (_plans.TryGetValue(index, out var done)) return done;
        var stage = definition.Stages[index];
        var plan = StartStage(stage);
        _plans[index] = plan;
        var total = stage.Instructions.Count + 1;
        for (var i = 0; i < stage.Instructions.Count; i++)
        {
            try
            {
                Apply(plan, stage.Instructions[i], StepPrefix(plan.DisplayName, i + 2, total));
            }
            catch (DockerfileException e) when (Problems is not null)
            {
                Problems.Add(e); // --check: report it and go on with the next instruction
            }
        }
        return plan;
    }

    /// <summary>
    /// BuildKit's step prefix, <c>[stage n/total]</c>: the stage's name (or <c>stage-N</c>) is left out when the
    /// Dockerfile has a single stage, and n is padded with spaces to the width of total (<c>[ 2/12]</c>).
    /// </summary>
    private string StepPrefix(string stageName, int n, int total)
    {
        var number = n.ToString(CultureInfo.InvariantCulture).PadLeft(total.ToString(CultureInfo.InvariantCulture).Length);
        return definition.Stages.Count == 1 ? $"[{number}/{total}]" : $"[{stageName} {number}/{total}]";
    }

    /// <summary>When set (<c>build --check</c>), an instruction that cannot be planned is recorded here instead of thrown.</summary>
    public List<DockerfileException>? Problems { get; init; }

    /// <summary>
    /// Index of the stage named <paramref name="nameOrIndex"/> defined before <paramref name="before"/>, or null. A number
    /// names a stage by position only where BuildKit allows it (<c>COPY --from=0</c>, not <c>FROM 0</c>).
    /// </summary>
    public int? FindStage(string nameOrIndex, int before, bool allowIndex = true)
    {
        if (allowIndex && int.TryParse(nameOrIndex, out var n) && n >= 0 && n < before) return n;
        var lower = nameOrIndex.ToLowerInvariant();
        for (var i = 0; i < before; i++)
            if (definition.Stages[i].Name == lower) return i;
        return null;
    }

    private StagePlan StartStage(Stage stage)
    {
        // FROM --platform (often $BUILDPLATFORM, to cross-compile) builds this stage for that platform, else the target's.
        var platform = request.Platform;
        if (stage.Platform is { } text && !Platform.TryParse(text, out platform))
            throw new DockerfileException(ErrorCode.DockerfileSyntax, stage.Location,
                $"FROM --platform={text}: invalid platform: expected OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm/v7");
        var displayName = stage.Name ?? $"stage-{stage.Index}";
        var label = $"{StepPrefix(displayName, 1, stage.Instructions.Count + 1)} FROM {stage.BaseName}";
        if (FindStage(stage.BaseName, stage.Index, allowIndex: false) is { } parentIndex)
        {
            var parent = Plan(parentIndex);
            var derived = new StagePlan
            {
                Index = stage.Index, DisplayName = displayName, Fs = parent.Fs, Config = parent.Config with { OnBuild = null },
                Platform = parent.Platform, Os = parent.Os, Architecture = parent.Architecture, Variant = parent.Variant, BaseHistory = parent.BaseHistory,
                Author = parent.Author,
            };
            derived.History.AddRange(parent.History);
            // A stage built on another keeps its ARGs: BuildKit's state carries their values as environment.
            foreach (var (name, value) in parent.Args) derived.Args[name] = value;
            derived.DeclaredArgs.AddRange(parent.DeclaredArgs);
            RunOnbuildTriggers(derived, stage, parent.Config.OnBuild ?? []);
            return derived;
        }

        var (fs, config) = stage.BaseName == "scratch"
            ? (new OpNode(new ScratchOp(), [], new StepDescription(label)), null)
            : Image(stage.BaseName, label, stage.Location, platform);
        // BuildKit's empty image (FROM scratch) has the working directory "/" in its config.
        var containerConfig = config?.Config ?? new ContainerConfig { WorkingDir = "/" };
        if (containerConfig.Env is not { } env || !env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)))
            containerConfig = containerConfig with { Env = [.. containerConfig.Env ?? [], "PATH=" + DefaultPath] };
        var plan = new StagePlan
        {
            Index = stage.Index, DisplayName = displayName, Fs = fs, Config = containerConfig with { OnBuild = null },
            Platform = platform, Os = config?.Os ?? platform.Os, Architecture = config?.Architecture ?? platform.Architecture,
            Variant = config is null ? platform.Variant : config.Variant, BaseHistory = config?.History ?? [], Author = config?.Author,
        };
        RunOnbuildTriggers(plan, stage, containerConfig.OnBuild ?? []);
        return plan;
    }

    /// <summary>
    /// ONBUILD triggers of the base (an image or an earlier stage) run right after FROM, in order, and are not
    /// inherited further (BuildKit).
    /// Each trigger is parsed as a one-line Dockerfile; errors name the image and the trigger.
    /// </summary>
    private void RunOnbuildTriggers(StagePlan plan, Stage stage, IReadOnlyList<string> triggers)
    {
        for (var i = 0; i < triggers.Count; i++)
        {
            var source = $"ONBUILD trigger {i + 1} of {stage.BaseName}";
            var parsed = InstructionBinder.Bind(DockerfileParser.Parse($"FROM scratch\n{triggers[i]}\n", source), new Dictionary<string, string>());
            foreach (var instruction in parsed.Stages[0].Instructions)
                Apply(plan, instruction, $"{StepPrefix(plan.DisplayName, 1, stage.Instructions.Count + 1)} ONBUILD");
        }
    }

    private void Apply(StagePlan plan, Instruction instruction, string label)
    {
        switch (instruction)
        {
            case RunInstruction run: Run(plan, run, label); break;
            case CopyInstruction copy: Copy(plan, copy, label); break;
            case WorkdirInstruction workdir: Workdir(plan, workdir, label); break;
            case EnvInstruction env: Env(plan, env); break;
            case ArgInstruction arg: Arg(plan, arg); break;
            case LabelInstruction labels: Label(plan, labels); break;
            case CmdInstruction cmd: Cmd(plan, cmd); break;
            case EntrypointInstruction entrypoint: Entrypoint(plan, entrypoint); break;
            case UserInstruction user: User(plan, user); break;
            case ExposeInstruction expose: Expose(plan, expose); break;
            case VolumeInstruction volume: Volume(plan, volume); break;
            case StopSignalInstruction stop: StopSignal(plan, stop); break;
            case ShellInstruction shell: Shell(plan, shell); break;
            case HealthcheckInstruction health: Healthcheck(plan, health); break;
            case OnbuildInstruction onbuild: Onbuild(plan, onbuild); break;
            case MaintainerInstruction maintainer: Maintainer(plan, maintainer); break;
            default:
                throw new DockerfileException(ErrorCode.UnsupportedInstruction, instruction.Location,
                    $"{Keyword(instruction)} is not supported yet by sbuild", instruction.Original);
        }
    }

    private static string Keyword(Instruction instruction) =>
        instruction.Original.TrimStart().Split(' ', 2)[0].ToUpperInvariant();

    // ---- instruction handlers ----

    private void Run(StagePlan plan, RunInstruction run, string label)
    {
        if (run.Devices.Count > 0)
            throw new DockerfileException(ErrorCode.UnsupportedInstruction, run.Location, "RUN --device is not supported yet by sbuild", run.Original);
        if (run.Security != "sandbox" && !request.AllowInsecure)
            throw new DockerfileException(ErrorCode.InvalidOption, run.Location,
                "RUN --security=insecure needs the entitlement: build with --allow security.insecure", run.Original);
        var (args, scripts) = RunCommand(plan, run);
        // Input 0 is the rootfs; stages and images that bind mounts read from follow, each once.
        var inputs = new List<OpNode> { plan.Fs };
        var env = plan.Expansion;
        var mounts = new List<RunMount>();
        foreach (var text in run.Mounts)
        {
            mounts.Add(RunMountParser.Parse(Expand(text, env, run.Location), plan.Config.WorkingDir ?? "/", from =>
            {
                var node = CopyFromNode(plan, run, Expand(from, env, run.Location), label);
                // From 1: a mount of the very node the RUN starts from is still an input of its own (input 0 is
                // the rootfs the RUN changes, never a view).
                var index = inputs.FindIndex(1, n => ReferenceEquals(n, node));
                if (index < 0)
                {
                    inputs.Add(node);
                    index = inputs.Count - 1;
                }
                return index;
            }, run, sshIndex: mounts.Count(m => m.Type == RunMountType.Ssh)));
        }
        var exec = new ExecOp(args, RunEnvironment(plan), plan.Config.WorkingDir ?? "/", plan.Config.User ?? "",
            // "default" is the build's network (the host's, as docker build without CNI, unless --network=none).
            run.Network switch { "host" => NetworkMode.Host, "none" => NetworkMode.None, _ => request.Network })
        {
            Scripts = scripts,
            Mounts = mounts,
            Privileged = run.Security == "insecure",
            Platform = plan.Platform == Platform.Host ? null : plan.Platform.ToString(),
            ProxyEnv = buildArgs.Proxies.Concat(plan.Args.Where(a => BuildArgs.ProxyArgs.Contains(a.Key)))
                .DistinctBy(a => a.Key).Where(a => !plan.HasEnv(a.Key))
                .Select(a => $"{a.Key}={a.Value}").ToList(),
        };
        // BuildKit's history names every ARG the stage declared (its base stage's first), once each in order of first
        // declaration, with the value the RUN sees (an ENV of the same name wins; unset is empty): "RUN |2 A=1 B= …".
        var seen = plan.Expansion;
        var declared = plan.DeclaredArgs.Distinct(StringComparer.Ordinal).Select(n => $"{n}={seen.GetValueOrDefault(n) ?? ""}").ToList();
        var createdBy = "RUN " + (declared.Count > 0 ? $"|{declared.Count} {string.Join(' ', declared)} " : "") + string.Join(' ', args) + " # buildkit";
        AddLayer(plan, Step(plan, exec, inputs, $"{label} RUN {Display(run)}", run,
            plan.Args.Where(a => !plan.HasEnv(a.Key) && !BuildArgs.ProxyArgs.Contains(a.Key)).Select(a => a.Key).ToList()), createdBy);
    }

    /// <summary>
    /// The argv of a RUN. Here-documents follow BuildKit: a command that is only one heredoc starting with #! runs it
    /// as a script mounted at /dev/pipes/NAME; only one heredoc without #! is the shell's command text itself;
    /// otherwise the heredoc bodies are appended to the command and the shell reads them.
    /// </summary>
    private static (List<string> Args, List<InlineFile> Scripts) RunCommand(StagePlan plan, RunInstruction run)
    {
        var shell = plan.Config.Shell ?? DefaultShell;
        if (!run.Command.PrependShell) return (run.Command.Args.ToList(), []);
        var command = run.Command.Args[0];
        if (run.Heredocs.Count == 0) return ([.. shell, command], []);
        if (run.Heredocs.Count == 1 && IsOnlyHeredoc(command, run.Heredocs[0].Name))
        {
            var script = run.Heredocs[0];
            return script.Content.StartsWith("#!", StringComparison.Ordinal)
                ? ([.. shell, $"{ExecOp.ScriptDirectory}/{script.Name}"], [new InlineFile(script.Name, script.Content)])
                : ([.. shell, script.Content], []);
        }
        var full = command + string.Concat(run.Heredocs.Select(h => "\n" + h.Content + h.Name));
        return ([.. shell, full], []);
    }

    private static bool IsOnlyHeredoc(string command, string name)
    {
        var marker = command.Trim();
        marker = marker.StartsWith("<<-", StringComparison.Ordinal) ? marker[3..] : marker.StartsWith("<<", StringComparison.Ordinal) ? marker[2..] : null;
        return marker is not null && marker.Trim('"', '\'') == name;
    }

    private void Copy(StagePlan plan, CopyInstruction copy, string label)
    {
        // --link only changes how BuildKit reuses layers, not the result, so it is accepted. --exclude patterns are
        // taken as written (BuildKit does not expand them).
        var env = plan.Expansion;
        var words = copy.Sources.Append(copy.Destination).Select(w => Expand(w, env, copy.Location)).ToList();
        var sources = words[..^1];
        // BuildKit's dispatchCopy: only ADD fetches; COPY names a git repository or a URL only by mistake.
        if (!copy.IsAdd && sources.FirstOrDefault(s => SourceUrl.IsUrl(s) || IsGitSource(s)) is { } remote)
            throw new DockerfileException(ErrorCode.DockerfileSyntax, copy.Location,
                $"source can't be a {(IsGitSource(remote) ? "git ref" : "URL")} for COPY: {GitReference.Redact(remote)} (ADD fetches it)", copy.Original);
        var destination = words[^1];
        if (sources.Count > 1 && !destination.EndsWith('/'))
            throw new DockerfileException(ErrorCode.DockerfileSyntax, copy.Location,
                "when using COPY with more than one source file, the destination must be a directory and end with a /", copy.Original);
        var absolute = destination.StartsWith('/') ? destination : JoinPath(plan.Config.WorkingDir ?? "/", destination) + (destination.EndsWith('/') ? "/" : "");
        // BuildKit expands both flags; one that expands to nothing is as if it were not given.
        var chmod = copy.Chmod is { } rawChmod ? NullIfEmpty(Expand(rawChmod, env, copy.Location)) : null;
        if (chmod is not null) CheckChmod(copy, chmod);
        var chown = copy.Chown is { } rawChown ? NullIfEmpty(Expand(rawChown, env, copy.Location)) : null;
        // BuildKit runs a --link copy (without --chmod) on an empty filesystem that has no /etc/passwd to look names up
        // in: it fails ("invalid user index: -1"; newer frontends refuse it while parsing, moby/buildkit#7134).
        if (copy.Link && chmod is null && chown is not null && !chown.Split(':', 2).All(IsNumericOwner))
            throw new DockerfileException(ErrorCode.DockerfileSyntax, copy.Location,
                $"--chown={chown} with --link: only numeric ids (or root) can be used, as there is no /etc/passwd to look names up in", copy.Original);
        var name = $"{label} {(copy.IsAdd ? "ADD" : "COPY")} {Display(copy)}";
        // Here-documents are copied after the sources, in the same step, as BuildKit's dispatchCopy does.
        var files = copy.Heredocs.Count == 0 ? null
            : copy.Heredocs.Select(h => new InlineFile(h.Name, h.Expand ? Expand(HeredocLex, h.Content, env, copy.Location) : h.Content)).ToList();
        OpNode node;
        if (copy.IsAdd && GitCheckout(plan, copy, sources, env, label) is { } repository)
        {
            // As BuildKit: the checkout's root is copied onto the destination, its files keeping their (root) owners.
            node = Step(plan, new CopyOp(CopySource.Input, ["/"], absolute, chown, chmod) { Excludes = Excludes(copy) }, [plan.Fs, repository], name, copy);
        }
        else if (copy.IsAdd)
        {
            node = Step(plan, new AddOp(sources, absolute, chown, chmod, copy.Unpack, AddChecksum(copy, sources, env)) { Excludes = Excludes(copy), Files = files }, [plan.Fs], name, copy);
        }
        else if (copy.From is { } fromRaw && sources.Count > 0)
        {
            var source = CopyFromNode(plan, copy, Expand(fromRaw, env, copy.Location), label);
            node = Step(plan, new CopyOp(CopySource.Input, sources, absolute, chown, chmod) { Parents = copy.Parents, Excludes = Excludes(copy), Files = files }, [plan.Fs, source], name, copy);
        }
        else
        {
            // Here-documents alone read nothing of a --from source: BuildKit makes no edge to it either.
            node = Step(plan, new CopyOp(CopySource.Context, sources, absolute, chown, chmod) { Parents = copy.Parents, Excludes = Excludes(copy), Files = files }, [plan.Fs], name, copy);
        }
        // BuildKit's text: the instruction, --parents, --chown/--chmod as given (expanded), the sources, here-documents
        // as <<NAME, the destination; never --from or --exclude.
        var createdBy = new List<string> { copy.IsAdd ? "ADD" : "COPY" };
        if (copy.Parents) createdBy.Add("--parents");
        if (chown is not null) createdBy.Add("--chown=" + chown);
        if (chmod is not null) createdBy.Add("--chmod=" + chmod);
        createdBy.AddRange(sources);
        createdBy.AddRange(copy.Heredocs.Select(h => "<<" + h.Name));
        createdBy.Add(destination);
        AddLayer(plan, node, string.Join(' ', createdBy) + " # buildkit");
    }

    private static bool IsGitSource(string source)
    {
        try
        {
            return GitReference.Parse(source) is not null;
        }
        catch (FormatException)
        {
            return true; // git's own syntax, badly formed: a git source all the same
        }
    }

    private static IReadOnlyList<string>? Excludes(CopyInstruction copy) => copy.Excludes.Count > 0 ? copy.Excludes : null;

    /// <summary>The filesystem <c>COPY --from</c> reads: an earlier stage (by name or index) or an image.</summary>
    private OpNode CopyFromNode(StagePlan plan, Instruction copy, string from, string label)
    {
        var flag = copy is RunInstruction ? $"RUN --mount from={from}" : $"{Keyword(copy)} --from={from}";
        if (FindStage(from, plan.Index) is { } index) return Plan(index).Fs;
        try
        {
            return Image(from, $"{label} {flag}: load image {from}", copy.Location, plan.Platform).Fs;
        }
        catch (DockerfileException e) when (e.Code is ErrorCode.BaseImageNotFound or ErrorCode.InvalidReference
                                               or ErrorCode.ImageNotFound or ErrorCode.RegistryUnreachable or ErrorCode.AuthRefused)
        {
            // A misspelt stage name is the likelier mistake than a missing image, so say both (with why the pull failed).
            throw new DockerfileException(ErrorCode.UnknownStage, copy.Location,
                $"{flag}: no stage named \"{from}\" is defined before this line, and no image of that name could be found ({e.Reason})", copy.Original);
        }
    }

    /// <summary>An image as a base or a COPY source, for a platform: resolved (pulled if needed) once per build, errors at the instruction.</summary>
    private (OpNode Fs, ImageConfig Config) Image(string reference, string label, SourceLocation at, Platform platform)
    {
        if (_images.TryGetValue((reference, platform), out var known)) return known;
        if (!ImageReference.TryParse(reference, out var parsed))
            throw new DockerfileException(ErrorCode.InvalidReference, at, $"invalid image name \"{reference}\"");
        ResolvedImage image;
        try
        {
            image = images.Resolve(parsed, platform);
        }
        catch (SbuildException e) when (e is not DockerfileException)
        {
            throw new DockerfileException(e.Code, at, e.Message);
        }
        var result = (new OpNode(new ImageOp(parsed.FullName, image.Manifest), [], new StepDescription(label, at)), image.Config);
        _images[(reference, platform)] = result;
        return result;
    }

    /// <summary>ADD's <c>--checksum</c> of URL sources: a sha256 digest (a git source's is a commit, see <see cref="GitCheckout"/>).</summary>
    private Digest? AddChecksum(CopyInstruction add, IReadOnlyList<string> sources, IReadOnlyDictionary<string, string> env)
    {
        if (add.Checksum is not { } raw) return null;
        if (!Digest.TryParse(Expand(raw, env, add.Location), out var checksum))
            throw new DockerfileException(ErrorCode.DockerfileSyntax, add.Location, $"invalid --checksum {raw}: expected sha256:<64 hex digits>", add.Original);
        if (sources.Any(s => !SourceUrl.IsUrl(s)))
            throw new DockerfileException(ErrorCode.DockerfileSyntax, add.Location, "ADD --checksum can only be used with URL or git sources", add.Original);
        return checksum;
    }

    /// <summary>
    /// The checkout ADD copies when its source is a git repository (BuildKit's rule: <see cref="GitReference.Parse"/>),
    /// or null when no source is one. <c>--keep-git-dir</c> and <c>--checksum</c> (a commit hash or a prefix of one) join
    /// the URL's own query options, which must agree with them.
    /// </summary>
    private OpNode? GitCheckout(StagePlan plan, CopyInstruction add, IReadOnlyList<string> sources, IReadOnlyDictionary<string, string> env, string label)
    {
        var parsed = sources.Select(source =>
        {
            try
            {
                return GitReference.Parse(source);
            }
            catch (FormatException e)
            {
                throw new DockerfileException(ErrorCode.DockerfileSyntax, add.Location, $"invalid git source {GitReference.Redact(source)}: {e.Message}", add.Original);
            }
        }).ToList();
        if (parsed.All(p => p is null)) return null;
        if (parsed.Count > 1 || add.Heredocs.Count > 0)
            throw new DockerfileException(ErrorCode.UnsupportedInstruction, add.Location,
                "ADD of a git repository together with other sources in one instruction is not supported yet by sbuild: use one ADD per source", add.Original);
        var git = parsed[0]!;
        if (add.KeepGitDir is { } keep && git.KeepGitDir is { } keepInUrl && keep != keepInUrl)
            throw new DockerfileException(ErrorCode.DockerfileSyntax, add.Location, "inconsistent keep-git-dir configuration", add.Original);
        var checksum = add.Checksum is { } raw ? Expand(raw, env, add.Location) : null;
        if (checksum is not null && git.Checksum is not null && checksum != git.Checksum)
            throw new DockerfileException(ErrorCode.DockerfileSyntax, add.Location, $"checksum mismatch \"{checksum}\" != \"{git.Checksum}\"", add.Original);
        var subdir = git.Subdir is null ? null : RootPath.Clean(git.Subdir).TrimStart('/');
        var op = new GitOp(git.Remote, git.Ref, subdir is { Length: > 0 } ? subdir : null, (git.KeepGitDir ?? add.KeepGitDir) == true,
            git.Checksum ?? checksum, git.Submodules == false, git.FetchByCommit);
        var shown = GitReference.Redact(git.Remote) + (op.Ref is not null || op.Subdir is not null ? $"#{op.Ref}" : "") + (op.Subdir is null ? "" : ":" + op.Subdir);
        return Step(plan, op, [], $"{label} git source {shown}{(op.KeepGitDir ? " with .git" : "")}", add);
    }

    private void Workdir(StagePlan plan, WorkdirInstruction workdir, string label)
    {
        var path = Expand(workdir.Path, plan.Expansion, workdir.Location);
        // As BuildKit: an absolute path is kept as written (a trailing slash stays), a relative one is joined and
        // cleaned; "/" exists already, so it gets a history entry but no mkdir and no layer.
        var absolute = path.StartsWith('/') ? path : JoinPath(plan.Config.WorkingDir ?? "/", path);
        plan.Config = plan.Config with { WorkingDir = absolute };
        if (absolute == "/") AddMetadata(plan, "WORKDIR /");
        else AddLayer(plan, Step(plan, new MkdirOp(absolute, plan.Config.User ?? ""), [plan.Fs], $"{label} WORKDIR {path}", workdir), $"WORKDIR {absolute}");
    }

    private void Env(StagePlan plan, EnvInstruction instruction)
    {
        // Every word (keys too) is expanded against the environment as it was before this instruction, as BuildKit
        // expands a whole instruction before it runs it: ENV A=new B=$A gives B the old A.
        var pairs = instruction.Pairs
            .Select(pair => (Key: Expand(pair.Key, plan.Expansion, instruction.Location), Value: Expand(pair.Value, plan.Expansion, instruction.Location)))
            .ToList();
        foreach (var (key, value) in pairs) plan.SetEnv(key, value);
        AddMetadata(plan, "ENV " + string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}")));
    }

    private void Arg(StagePlan plan, ArgInstruction instruction)
    {
        var parts = new List<string>();
        foreach (var arg in instruction.Args)
        {
            // --build-arg wins, then the default written here, then a global ARG's value, then automatic platform ARGs.
            var given = buildArgs.Lookup(arg.Name);
            string? value = given is not null && !IsAutomaticOnly(arg.Name) ? given
                : arg.Default is { } d ? Expand(d, plan.Expansion, instruction.Location)
                : definition.GlobalArgs.GetValueOrDefault(arg.Name) ?? given;
            if (value is not null) plan.Args[arg.Name] = value;
            plan.DeclaredArgs.Add(arg.Name);
            parts.Add(value is null ? arg.Name : $"{arg.Name}={value}");
        }
        AddMetadata(plan, "ARG " + string.Join(' ', parts));
    }

    private void Label(StagePlan plan, LabelInstruction instruction)
    {
        var parts = new List<string>();
        foreach (var pair in instruction.Pairs)
        {
            var key = Expand(pair.Key, plan.Expansion, instruction.Location);
            var value = Expand(pair.Value, plan.Expansion, instruction.Location);
            plan.SetLabel(key, value);
            parts.Add($"{key}={value}");
        }
        AddMetadata(plan, "LABEL " + string.Join(' ', parts));
    }

    private void Cmd(StagePlan plan, CmdInstruction cmd)
    {
        var args = CommandArgs(plan, cmd.Command);
        // BuildKit's dispatchCmd sets ArgsEscaped on every CMD (ENTRYPOINT leaves it as it is); only Windows reads it.
        plan.Config = plan.Config with { Cmd = NullIfEmpty(args), ArgsEscaped = true };
        plan.CmdSet = true;
        AddMetadata(plan, "CMD " + GoText.QuotedList(args));
    }

    private void Entrypoint(StagePlan plan, EntrypointInstruction entrypoint)
    {
        var args = CommandArgs(plan, entrypoint.Command);
        plan.Config = plan.Config with { Entrypoint = NullIfEmpty(args), Cmd = plan.CmdSet ? plan.Config.Cmd : null };
        AddMetadata(plan, "ENTRYPOINT " + GoText.QuotedList(args));
    }

    private void User(StagePlan plan, UserInstruction user)
    {
        var value = Expand(user.User, plan.Expansion, user.Location);
        plan.Config = plan.Config with { User = value };
        AddMetadata(plan, "USER " + value);
    }

    private void Expose(StagePlan plan, ExposeInstruction expose)
    {
        var env = plan.Expansion;
        var ports = new SortedDictionary<string, EmptyObject>(plan.Config.ExposedPorts ?? new(), StringComparer.Ordinal);
        var added = new List<string>();
        // BuildKit's parser sorts the words as written (before expansion): that order reaches the history.
        foreach (var word in expose.Ports.Order(StringComparer.Ordinal))
            foreach (var port in PortSpec.Expand(Expand(word, env, expose.Location), expose))
            {
                ports[port] = new EmptyObject();
                added.Add(port);
            }
        plan.Config = plan.Config with { ExposedPorts = ports };
        AddMetadata(plan, "EXPOSE " + GoText.List(added));
    }

    private void Volume(StagePlan plan, VolumeInstruction volume)
    {
        var env = plan.Expansion;
        var volumes = new SortedDictionary<string, EmptyObject>(plan.Config.Volumes ?? new(), StringComparer.Ordinal);
        var added = new List<string>();
        foreach (var raw in volume.Paths)
        {
            var path = Expand(raw, env, volume.Location);
            if (string.IsNullOrWhiteSpace(path))
                throw new DockerfileException(ErrorCode.DockerfileSyntax, volume.Location, "VOLUME specified can not be an empty string", volume.Original);
            volumes[path] = new EmptyObject();
            added.Add(path);
        }
        plan.Config = plan.Config with { Volumes = volumes };
        AddMetadata(plan, "VOLUME " + GoText.List(added));
    }

    private void StopSignal(StagePlan plan, StopSignalInstruction stop)
    {
        var signal = Expand(stop.Signal, plan.Expansion, stop.Location);
        if (!Signals.IsValid(signal))
            throw new DockerfileException(ErrorCode.DockerfileSyntax, stop.Location, $"invalid signal: {signal}", stop.Original);
        plan.Config = plan.Config with { StopSignal = signal };
        AddMetadata(plan, "STOPSIGNAL " + signal);
    }

    private static void Shell(StagePlan plan, ShellInstruction shell)
    {
        plan.Config = plan.Config with { Shell = shell.Shell.ToList() };
        AddMetadata(plan, "SHELL " + GoText.List(shell.Shell));
    }

    private static void Healthcheck(StagePlan plan, HealthcheckInstruction health)
    {
        plan.Config = plan.Config with { Healthcheck = health.Health };
        AddMetadata(plan, "HEALTHCHECK " + GoText.Healthcheck(health.Health));
    }

    private static void Onbuild(StagePlan plan, OnbuildInstruction onbuild)
    {
        // Only the config records it: BuildKit writes no history entry for ONBUILD.
        plan.Config = plan.Config with { OnBuild = [.. plan.Config.OnBuild ?? [], onbuild.Trigger] };
    }

    private void Maintainer(StagePlan plan, MaintainerInstruction maintainer)
    {
        plan.Author = Expand(maintainer.Maintainer, plan.Expansion, maintainer.Location);
        AddMetadata(plan, "MAINTAINER " + plan.Author);
    }

    // ---- helpers ----

    /// <summary>An automatic platform ARG the user did not override: a default written in the Dockerfile wins over it.</summary>
    private bool IsAutomaticOnly(string name) =>
        InstructionBinder.AutomaticPlatformArgs.Contains(name) && !userArgNames.Contains(name);

    private static List<string> CommandArgs(StagePlan plan, CommandLine command) =>
        command.PrependShell ? [.. plan.Config.Shell ?? DefaultShell, command.Args[0]] : command.Args.ToList();

    /// <summary>A node for an instruction's op; steps of a <c>--no-cache-filter</c> stage ignore the cache.</summary>
    private OpNode Step(StagePlan plan, Op op, IReadOnlyList<OpNode> inputs, string name, Instruction instruction, IReadOnlyList<string>? args = null) =>
        new(op, inputs, new StepDescription(name, instruction.Location, instruction.Original) { Stage = plan.DisplayName, Args = args ?? [] })
        {
            IgnoreCache = definition.Stages[plan.Index].Name is { } stage && request.NoCacheStages.Contains(stage),
        };

    private void AddLayer(StagePlan plan, OpNode node, string createdBy)
    {
        plan.History.Add(new PlannedHistory(createdBy, node));
        plan.Fs = node;
    }

    private static void AddMetadata(StagePlan plan, string createdBy) => plan.History.Add(new PlannedHistory(createdBy, null));

    /// <summary>What a RUN sees: the image's Env plus the stage's ARGs that ENV does not override.</summary>
    private List<string> RunEnvironment(StagePlan plan)
    {
        var env = plan.Config.Env?.ToList() ?? [];
        env.AddRange(plan.Args.Where(a => !plan.HasEnv(a.Key) && !BuildArgs.ProxyArgs.Contains(a.Key))
            .OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}"));
        return env;
    }

    private string Expand(string word, IReadOnlyDictionary<string, string> env, SourceLocation at) => Expand(_lex, word, env, at);

    private static string Expand(ShellLex lex, string word, IReadOnlyDictionary<string, string> env, SourceLocation at)
    {
        try
        {
            return lex.ProcessWord(word, env);
        }
        catch (SbuildException e) when (e is not DockerfileException)
        {
            throw new DockerfileException(ErrorCode.ExpansionError, at, e.Message);
        }
    }

    private static void CheckChmod(CopyInstruction copy, string chmod)
    {
        try
        {
            ChmodSpec.Parse(chmod);
        }
        catch (FormatException e)
        {
            throw new DockerfileException(ErrorCode.DockerfileSyntax, copy.Location, e.Message, copy.Original);
        }
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    /// <summary>An owner LLB takes as an id rather than a name to look up (BuildKit's parseUID).</summary>
    private static bool IsNumericOwner(string part) =>
        part == "root" || int.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);

    /// <summary><c>CMD []</c> / <c>ENTRYPOINT []</c> leave no key in BuildKit's config (Go's omitempty drops empty lists).</summary>
    private static List<string>? NullIfEmpty(List<string> args) => args.Count == 0 ? null : args;

    private static string JoinPath(string cwd, string path) =>
        RootPath.Clean(path.StartsWith('/') ? path : cwd.TrimEnd('/') + "/" + path);

    private static string Display(Instruction instruction)
    {
        var text = instruction.Original.Trim();
        var space = text.IndexOf(' ');
        return space < 0 ? "" : text[(space + 1)..].Trim();
    }

}
