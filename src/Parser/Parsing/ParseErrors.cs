using Sbuild.Core;
using Sbuild.Parser.Text;

namespace Sbuild.Parser.Parsing;

/// <summary>Builds located <see cref="DockerfileException"/>s that quote the offending source line.</summary>
internal sealed class ParseErrors(string file, SourceText source)
{
    public SourceLocation Locate(LogicalLine line, int offset)
    {
        var (lineNo, column) = line.Map.Locate(offset);
        return new SourceLocation(file, lineNo, column, lineNo);
    }

    public SourceLocation At(int line, int column = 1) => new(file, line, column, line);

    public DockerfileException Error(ErrorCode code, SourceLocation at, string message) =>
        new(code, at, message, at.Line >= 1 && at.Line <= source.Count ? source.Text(at.Line) : null);

    public DockerfileException Syntax(SourceLocation at, string message) => Error(ErrorCode.DockerfileSyntax, at, message);
}
