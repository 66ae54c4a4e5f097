using System.Runtime.InteropServices;
using Sbuild.Core;
using Sbuild.Parser.Binding;

namespace Sbuild.Parser;

/// <summary>
/// Turns a parsed Dockerfile into build stages of typed instructions, checking what BuildKit checks before a build
/// starts (flags, argument counts, stage names, FROM placement) and collecting lint warnings.
/// </summary>
/// <remarks>
/// Words stay unexpanded except the FROM image (and <c>--platform</c>), which are expanded with the global ARGs:
/// the ARGs declared before the first FROM (defaults expanded in order, overridden by <c>buildArgs</c>) plus the
/// automatic platform ARGs (BUILDPLATFORM, BUILDOS, BUILDARCH, BUILDVARIANT, TARGETPLATFORM, TARGETOS, TARGETARCH,
/// TARGETVARIANT, TARGETSTAGE, ...). Those default to the host platform and the last stage; pass them in
/// <c>buildArgs</c> to build for another platform or target.
/// </remarks>
public static class InstructionBinder
{
    /// <summary>The automatic ARGs BuildKit defines in the global scope without a declaration.</summary>
    public static readonly IReadOnlyList<string> AutomaticPlatformArgs =
    [
        "BUILDPLATFORM", "BUILDOS", "BUILDOSVERSION", "BUILDARCH", "BUILDVARIANT",
        "TARGETPLATFORM", "TARGETOS", "TARGETOSVERSION", "TARGETARCH", "TARGETVARIANT", "TARGETSTAGE",
    ];

    /// <exception cref="DockerfileException">The Dockerfile is invalid (code DockerfileSyntax, UnsupportedInstruction or ExpansionError).</exception>
    public static BuildDefinition Bind(DockerfileAst ast, IReadOnlyDictionary<string, string> buildArgs)
    {
        ArgumentNullException.ThrowIfNull(ast);
        buildArgs ??= new Dictionary<string, string>();
        var errors = new BindErrors(ast);
        errors.AddRaw(ast.Warnings);
        var factory = new InstructionFactory(errors);

        var metaArgs = new List<(AstNode Node, ArgInstruction Arg)>();
        var stages = new List<BoundStage>();
        var stageNames = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        foreach (var node in ast.Nodes)
        {
            if (node.Keyword == "from")
            {
                var header = factory.CreateFrom(node);
                if (header.Name is { } name)
                {
                    if (stageNames.TryGetValue(name, out var first))
                        throw errors.AtArgs(node, $"duplicate stage name \"{name}\": already defined at line {first.Line}");
                    stageNames[name] = node.Location;
                }
                DockerfileLinter.CheckFrom(header, errors);
                stages.Add(new BoundStage(header, []));
            }
            else if (stages.Count == 0)
            {
                if (node.Keyword != "arg")
                    throw errors.At(node, $"{DockerfileLinter.WrittenKeyword(node)} instruction before the first FROM: only ARG may come before FROM");
                metaArgs.Add((node, (ArgInstruction)factory.Create(node)));
            }
            else
            {
                stages[^1].Instructions.Add(new BoundInstruction(node, factory.Create(node)));
            }
        }
        if (stages.Count == 0)
        {
            var at = ast.Nodes.Count > 0 ? ast.Nodes[^1].Location : new SourceLocation(ast.File, 1, 1, 1);
            throw errors.Error(at, "dockerfile contains no stages to build (no FROM instruction)");
        }

        var lex = new ShellLex(ast.EscapeToken);
        var (globalArgs, declared) = EvaluateGlobalArgs(metaArgs, stages, buildArgs, lex, errors);
        var bound = new List<Stage>(stages.Count);
        for (int i = 0; i < stages.Count; i++)
            bound.Add(ExpandStage(i, stages[i], globalArgs, declared, lex, errors));

        DockerfileLinter.CheckCasing(stages.SelectMany(s => s.Instructions.Select(b => b.Node).Prepend(s.Header.Node)).ToList(), errors);
        foreach (var stage in stages) DockerfileLinter.CheckStage(stage, errors);
        foreach (var (node, arg) in metaArgs) DockerfileLinter.CheckStage(new BoundStage(stages[0].Header, [new(node, arg)]), errors);

        return new BuildDefinition(bound, globalArgs, ast.EscapeToken, errors.Warnings.Distinct().ToList());
    }

    /// <summary>
    /// BuildKit's meta-ARG rules: the automatic platform ARGs first, then each ARG before the first FROM in order;
    /// a --build-arg value wins over the default; a default is expanded with the ARGs before it; an ARG with neither
    /// is declared but unset.
    /// </summary>
    private static (Dictionary<string, string> Values, HashSet<string> Declared) EvaluateGlobalArgs(
        List<(AstNode Node, ArgInstruction Arg)> metaArgs, List<BoundStage> stages,
        IReadOnlyDictionary<string, string> buildArgs, ShellLex lex, BindErrors errors)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in HostPlatformDefaults(stages[^1].Header.Name))
            values[name] = buildArgs.TryGetValue(name, out var given) ? given : value;
        var declared = new HashSet<string>(AutomaticPlatformArgs, StringComparer.Ordinal);

        foreach (var (node, arg) in metaArgs)
        {
            foreach (var declaration in arg.Args)
            {
                declared.Add(declaration.Name);
                string? value;
                if (buildArgs.TryGetValue(declaration.Name, out var given)) value = given;
                else if (declaration.Default is { } defaultValue) value = Expand(lex, defaultValue, values, node, errors).Result;
                else value = null;
                if (value is not null) values[declaration.Name] = value;
            }
        }
        return (values, declared);
    }

    private static Stage ExpandStage(int index, BoundStage stage, Dictionary<string, string> globalArgs,
        HashSet<string> declared, ShellLex lex, BindErrors errors)
    {
        var header = stage.Header;
        var baseName = Expand(lex, header.BaseName, globalArgs, header.Node, errors);
        if (baseName.Result.Length == 0)
            throw errors.AtArgs(header.Node, $"base name ({header.BaseName}) should not be blank (check the ARG values it uses)");

        ShellExpansion? platform = null;
        if (header.Platform is { } rawPlatform)
        {
            platform = Expand(lex, rawPlatform, globalArgs, header.Node, errors);
            if (platform.Result.Length == 0)
                throw errors.AtFlag(header.Node, InstructionFactory.IndexOfFlag(header.Node, "platform"), $"empty platform value from expression {rawPlatform}");
        }
        DockerfileLinter.CheckFromExpansion(header, baseName, platform, declared, globalArgs, errors);

        return new Stage(index, header.Name, baseName.Result, platform?.Result, header.Node.Location,
            stage.Instructions.Select(b => b.Instruction).ToList())
        {
            BaseNameAsWritten = header.BaseName,
        };
    }

    private static ShellExpansion Expand(ShellLex lex, string word, IReadOnlyDictionary<string, string> env, AstNode node, BindErrors errors)
    {
        try
        {
            return lex.ProcessWordWithMatches(word, env);
        }
        catch (SbuildException ex)
        {
            throw errors.Error(node.ArgsLocation ?? node.Location, ex.Message, ErrorCode.ExpansionError);
        }
    }

    /// <summary>Values of the automatic ARGs when the caller gives none: build and target are this host.</summary>
    private static IEnumerable<(string Name, string Value)> HostPlatformDefaults(string? lastStageName)
    {
        var (arch, variant) = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => ("amd64", ""),
            Architecture.Arm64 => ("arm64", ""),
            Architecture.Arm => ("arm", "v7"),
            Architecture.X86 => ("386", ""),
            Architecture.S390x => ("s390x", ""),
            Architecture.Ppc64le => ("ppc64le", ""),
            Architecture.RiscV64 => ("riscv64", ""),
            Architecture.LoongArch64 => ("loong64", ""),
            var other => (other.ToString().ToLowerInvariant(), ""),
        };
        string platform = variant.Length > 0 ? $"linux/{arch}/{variant}" : $"linux/{arch}";
        foreach (string prefix in new[] { "BUILD", "TARGET" })
        {
            yield return (prefix + "PLATFORM", platform);
            yield return (prefix + "OS", "linux");
            yield return (prefix + "OSVERSION", "");
            yield return (prefix + "ARCH", arch);
            yield return (prefix + "VARIANT", variant);
        }
        yield return ("TARGETSTAGE", lastStageName ?? "default");
    }
}
