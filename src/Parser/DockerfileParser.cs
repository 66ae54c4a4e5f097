using Sbuild.Core;
using Sbuild.Parser.Parsing;
using Sbuild.Parser.Text;

namespace Sbuild.Parser;

/// <summary>
/// Parses Dockerfile text into an AST with the line-level rules of BuildKit's Dockerfile frontend (syntax 1.x):
/// parser directives, line continuations, comments, flags, JSON exec form with shell-form fallback, ENV/LABEL/ARG
/// words, ONBUILD nesting, HEALTHCHECK, and here-documents. See docs/dockerfile-syntax.md.
/// </summary>
public static class DockerfileParser
{
    /// <summary>Instructions whose shell-form text may open here-documents.</summary>
    private static readonly HashSet<string> HeredocKeywords = ["run", "copy", "add"];

    /// <summary>Parses <paramref name="text"/>; <paramref name="fileName"/> is only used in locations and messages.</summary>
    /// <exception cref="DockerfileException">The text is not a valid Dockerfile (the only exception thrown).</exception>
    public static DockerfileAst Parse(string text, string fileName)
    {
        text ??= "";
        fileName ??= "Dockerfile";
        try
        {
            return ParseCore(text, fileName);
        }
        catch (DockerfileException)
        {
            throw;
        }
        catch (SbuildException ex)
        {
            // Heredoc delimiter lexing failures surface here; they have no finer location than the file.
            throw new DockerfileException(ex.Code, new SourceLocation(fileName, 1, 1, 1), ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Defensive: a bug must still surface as a Dockerfile error, never as a crash with a stack trace.
            throw new DockerfileException(ErrorCode.DockerfileSyntax, new SourceLocation(fileName, 1, 1, 1),
                $"internal parser error (please report this Dockerfile): {ex.GetType().Name}: {ex.Message}");
        }
    }

    private static DockerfileAst ParseCore(string text, string fileName)
    {
        var source = new SourceText(text);
        var errors = new ParseErrors(fileName, source);
        var directives = new ParserDirectives();
        var reader = new LogicalLineReader(source, directives);
        var nodes = new List<AstNode>();
        var warnings = new List<string>();

        while (reader.TryRead(out var line, (lineNo, message) => errors.Syntax(errors.At(lineNo), message)))
        {
            var node = new InstructionLineParser(errors, directives.EscapeToken).Parse(line);
            if (CanContainHeredoc(node) && line.Text.Contains("<<", StringComparison.Ordinal))
                node = node with { Heredocs = ReadHeredocs(line, reader, errors) };
            int endLine = reader.LastLine;
            node = node with { Location = node.Location with { EndLine = endLine } };
            if (line.FirstEmptyContinuationLine > 0)
                warnings.Add($"{fileName}:{line.FirstEmptyContinuationLine}: NoEmptyContinuation: Empty continuation line");
            nodes.Add(node);
        }

        if (nodes.Count == 0)
            throw errors.Syntax(errors.At(Math.Max(1, source.Count)), "file with no instructions");

        return new DockerfileAst(nodes, directives.Values, directives.EscapeToken, fileName)
        {
            SourceLines = source.Lines,
            Warnings = warnings,
        };
    }

    /// <summary>RUN/COPY/ADD in shell form (also as an ONBUILD trigger) may carry heredocs.</summary>
    private static bool CanContainHeredoc(AstNode node)
    {
        var target = node.Keyword == "onbuild" && node.Inner is not null ? node.Inner : node;
        return HeredocKeywords.Contains(target.Keyword) && !target.IsJson;
    }

    private static List<Heredoc> ReadHeredocs(LogicalLine line, LogicalLineReader reader, ParseErrors errors)
    {
        List<HeredocMarker> markers;
        try
        {
            markers = HeredocMarkers.FindInLine(line.Text);
        }
        catch (SbuildException ex)
        {
            throw errors.Syntax(errors.Locate(line, 0), ex.Message);
        }

        var heredocs = new List<Heredoc>(markers.Count);
        foreach (var marker in markers)
        {
            string? body = reader.ReadHeredocBody(marker.Name, marker.Chomp);
            if (body is null)
            {
                var at = errors.Locate(line, Math.Max(0, line.Text.IndexOf("<<", StringComparison.Ordinal)));
                throw errors.Syntax(at, $"unterminated heredoc: no line \"{marker.Name}\" ends the here-document before end of file");
            }
            heredocs.Add(new Heredoc(marker.Name, body, marker.Expand, marker.Chomp));
        }
        return heredocs;
    }
}
