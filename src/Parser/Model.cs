using Sbuild.Core;

namespace Sbuild.Parser;

/// <summary>A place in a Dockerfile; lines and columns are 1-based.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column, int EndLine)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>A Dockerfile the parser or binder rejects; the message names file:line:column and quotes the line.</summary>
public sealed class DockerfileException(ErrorCode code, SourceLocation location, string message, string? sourceLine = null)
    : SbuildException(code, Format(location, message, sourceLine))
{
    public SourceLocation Location { get; } = location;
    public string Reason { get; } = message;

    private static string Format(SourceLocation at, string message, string? line) =>
        line is null ? $"{at}: {message}" : $"{at}: {message}\n{at.Line,5} | {line}\n      | {new string(' ', Math.Max(0, at.Column - 1))}^";
}

// ---- AST: what the text says, before any meaning is given ----

/// <summary>
/// A here-document attached to an instruction (<c>&lt;&lt;EOF</c>). In an <see cref="AstNode"/> the content is raw as
/// written; in a bound instruction (RUN/COPY/ADD) leading tabs are already stripped when <see cref="Chomp"/> is set.
/// <see cref="Expand"/> is false when the delimiter was quoted (no variable expansion of the content).
/// </summary>
public sealed record Heredoc(string Name, string Content, bool Expand, bool Chomp);

/// <summary>
/// One instruction as written. <see cref="Args"/> follow the conformance dump rules: shell form is one raw string,
/// exec form one item per JSON element, ENV/LABEL/ARG are key,value,separator triples.
/// </summary>
public sealed record AstNode(
    string Keyword,
    IReadOnlyList<string> Flags,
    IReadOnlyList<string> Args,
    bool IsJson,
    IReadOnlyList<Heredoc> Heredocs,
    SourceLocation Location,
    string Original,
    AstNode? Inner = null)
{
    /// <summary>Where each entry of <see cref="Flags"/> starts (same order); empty when unknown.</summary>
    public IReadOnlyList<SourceLocation> FlagLocations { get; init; } = [];

    /// <summary>Where the arguments (text after keyword and flags) start; null when unknown or absent.</summary>
    public SourceLocation? ArgsLocation { get; init; }
}

public sealed record DockerfileAst(IReadOnlyList<AstNode> Nodes, IReadOnlyDictionary<string, string> Directives, char EscapeToken, string File)
{
    /// <summary>The physical lines of the file (without line endings), used to quote lines in errors.</summary>
    public IReadOnlyList<string> SourceLines { get; init; } = [];

    /// <summary>Parser-level lint warnings ("file:line: Rule: message"), e.g. empty continuation lines.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The text of 1-based line <paramref name="line"/>, or null when out of range.</summary>
    public string? LineText(int line) => line >= 1 && line <= SourceLines.Count ? SourceLines[line - 1] : null;
}

// ---- Typed instructions: meaning, still unexpanded ----
// Words are kept as written: variable expansion needs the stage's environment at that point,
// which includes the base image's ENV, so it happens while building (Sbuild.Engine), not here.

/// <summary>A command as RUN/CMD/ENTRYPOINT give it: exec form (<see cref="PrependShell"/> false) or shell form (one string).</summary>
public sealed record CommandLine(IReadOnlyList<string> Args, bool PrependShell);

public abstract record Instruction(SourceLocation Location, string Original);

public sealed record RunInstruction(SourceLocation Location, string Original, CommandLine Command, IReadOnlyList<Heredoc> Heredocs)
    : Instruction(Location, Original)
{
    /// <summary>Raw <c>--mount</c> values in order (unexpanded), e.g. <c>type=cache,target=/root/.cache</c>.</summary>
    public IReadOnlyList<string> Mounts { get; init; } = [];

    /// <summary><c>--network</c>: "default", "none" or "host".</summary>
    public string Network { get; init; } = "default";

    /// <summary><c>--security</c>: "sandbox" or "insecure".</summary>
    public string Security { get; init; } = "sandbox";

    /// <summary>Raw <c>--device</c> values in order.</summary>
    public IReadOnlyList<string> Devices { get; init; } = [];
}

/// <summary>COPY or ADD. <see cref="From"/> is the raw <c>--from</c> value (stage name, index or image).</summary>
public sealed record CopyInstruction(
    SourceLocation Location, string Original, bool IsAdd,
    IReadOnlyList<string> Sources, string Destination,
    string? From, string? Chown, string? Chmod, bool Link, IReadOnlyList<Heredoc> Heredocs)
    : Instruction(Location, Original)
{
    /// <summary>Raw <c>--exclude</c> patterns in order.</summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];

    /// <summary>COPY <c>--parents</c>.</summary>
    public bool Parents { get; init; }

    /// <summary>ADD <c>--checksum</c> (raw).</summary>
    public string? Checksum { get; init; }

    /// <summary>ADD <c>--keep-git-dir</c>; null when not given.</summary>
    public bool? KeepGitDir { get; init; }

    /// <summary>ADD <c>--unpack</c>; null when not given (archives from the context unpack, URLs do not).</summary>
    public bool? Unpack { get; init; }
}

public sealed record WorkdirInstruction(SourceLocation Location, string Original, string Path) : Instruction(Location, Original);

/// <summary>A raw key/value as written (value may still hold quotes and $VARS).</summary>
public sealed record KeyValue(string Key, string Value);

public sealed record EnvInstruction(SourceLocation Location, string Original, IReadOnlyList<KeyValue> Pairs) : Instruction(Location, Original);

public sealed record LabelInstruction(SourceLocation Location, string Original, IReadOnlyList<KeyValue> Pairs) : Instruction(Location, Original);

/// <summary>ARG name[=default]; <see cref="KeyValue.Value"/> is null when no default is given.</summary>
public sealed record ArgInstruction(SourceLocation Location, string Original, IReadOnlyList<ArgDeclaration> Args) : Instruction(Location, Original);

public sealed record ArgDeclaration(string Name, string? Default);

public sealed record CmdInstruction(SourceLocation Location, string Original, CommandLine Command) : Instruction(Location, Original);

public sealed record EntrypointInstruction(SourceLocation Location, string Original, CommandLine Command) : Instruction(Location, Original);

public sealed record UserInstruction(SourceLocation Location, string Original, string User) : Instruction(Location, Original);

public sealed record ExposeInstruction(SourceLocation Location, string Original, IReadOnlyList<string> Ports) : Instruction(Location, Original);

public sealed record VolumeInstruction(SourceLocation Location, string Original, IReadOnlyList<string> Paths) : Instruction(Location, Original);

public sealed record StopSignalInstruction(SourceLocation Location, string Original, string Signal) : Instruction(Location, Original);

public sealed record ShellInstruction(SourceLocation Location, string Original, IReadOnlyList<string> Shell) : Instruction(Location, Original);

public sealed record MaintainerInstruction(SourceLocation Location, string Original, string Maintainer) : Instruction(Location, Original);

/// <summary>HEALTHCHECK NONE (<see cref="Test"/> = ["NONE"]) or CMD with options; durations in nanoseconds.</summary>
public sealed record HealthcheckInstruction(SourceLocation Location, string Original, HealthConfig Health) : Instruction(Location, Original);

/// <summary>ONBUILD trigger: the inner instruction text, stored verbatim in the image config.</summary>
public sealed record OnbuildInstruction(SourceLocation Location, string Original, string Trigger) : Instruction(Location, Original);

/// <summary>
/// One build stage. <see cref="BaseName"/> is already expanded with the global ARGs (and --build-arg values);
/// "scratch" means an empty base.
/// </summary>
public sealed record Stage(int Index, string? Name, string BaseName, string? Platform, SourceLocation Location, IReadOnlyList<Instruction> Instructions)
{
    /// <summary>The FROM image word as written, before global ARG expansion.</summary>
    public string BaseNameAsWritten { get; init; } = BaseName;
}

/// <summary>The parsed Dockerfile ready to build: stages in file order plus the global ARG values in force.</summary>
public sealed record BuildDefinition(
    IReadOnlyList<Stage> Stages,
    IReadOnlyDictionary<string, string> GlobalArgs,
    char EscapeToken,
    IReadOnlyList<string> Warnings);
