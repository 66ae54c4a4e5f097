using System.Text.RegularExpressions;
using Sbuild.Core;
using Sbuild.Parser;

namespace Sbuild.Frontend;

/// <summary>
/// The <c># syntax=</c> directive. BuildKit pulls the named frontend image and runs it; sbuild runs its own
/// implementation of the Dockerfile frontend instead, so it accepts exactly the images of that frontend
/// (<c>docker/dockerfile:1</c>, <c>:1.x</c>, <c>:1.x.y</c>, <c>-labs</c>, pinned by digest or not) with a one-line
/// note, and refuses any other frontend rather than build something else than asked.
/// </summary>
public static partial class SyntaxDirective
{
    [GeneratedRegex(@"^(docker\.io/)?docker/dockerfile(-upstream)?(:1(\.\d+){0,2}(-labs)?)?(@sha256:[0-9a-f]{64})?$")]
    private static partial Regex OwnFrontend();

    /// <summary>The note for an accepted directive, null without one; throws for another frontend.</summary>
    public static string? Check(DockerfileAst ast, string text)
    {
        if (!ast.Directives.TryGetValue("syntax", out var value)) return null;
        if (OwnFrontend().IsMatch(value))
            return $"# syntax={value}: built with sbuild's own Dockerfile frontend (1.x syntax; no frontend image is pulled)";
        var line = LineOf(text);
        throw new DockerfileException(ErrorCode.UnsupportedInstruction, new SourceLocation(ast.File, line, 1, line),
            $"# syntax={value}: sbuild runs only its own Dockerfile frontend (docker/dockerfile:1); it cannot run other frontend images. Remove the line or name docker/dockerfile:1",
            $"# syntax={value}");
    }

    /// <summary>The directive is in the comment block at the top: the first comment line that names it.</summary>
    private static int LineOf(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
            if (lines[i].TrimStart().StartsWith('#') && lines[i].Contains("syntax", StringComparison.OrdinalIgnoreCase))
                return i + 1;
        return 1;
    }
}
