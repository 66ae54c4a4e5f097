using Sbuild.Core;

namespace Sbuild.Parser.Binding;

/// <summary>Located errors and lint warnings for the binder, quoting lines from the AST's source.</summary>
internal sealed class BindErrors(DockerfileAst ast)
{
    private readonly List<string> _warnings = [];

    public IReadOnlyList<string> Warnings => _warnings;

    public DockerfileException Error(SourceLocation at, string message, ErrorCode code = ErrorCode.DockerfileSyntax) =>
        new(code, at, message, ast.LineText(at.Line));

    /// <summary>Error at the node's keyword.</summary>
    public DockerfileException At(AstNode node, string message) => Error(node.Location, message);

    /// <summary>Error at the node's arguments (falls back to the keyword).</summary>
    public DockerfileException AtArgs(AstNode node, string message) => Error(node.ArgsLocation ?? node.Location, message);

    /// <summary>Error at the node's flag number <paramref name="index"/> (falls back to the keyword).</summary>
    public DockerfileException AtFlag(AstNode node, int index, string message) =>
        Error(index >= 0 && index < node.FlagLocations.Count ? node.FlagLocations[index] : node.Location, message);

    /// <summary>Adds a BuildKit-style lint warning: <c>file:line: Rule: message</c>.</summary>
    public void Warn(SourceLocation at, string rule, string message) => _warnings.Add($"{at.File}:{at.Line}: {rule}: {message}");

    public void AddRaw(IEnumerable<string> warnings) => _warnings.AddRange(warnings);
}
