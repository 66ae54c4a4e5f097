using System.Text;
using Sbuild.Parser.Text;

namespace Sbuild.Parser.Parsing;

/// <summary>One instruction's text with line continuations joined, plus where each piece came from.</summary>
internal sealed record LogicalLine(string Text, LineMap Map, int FirstEmptyContinuationLine);

/// <summary>
/// Walks the physical lines and yields logical instruction lines the way BuildKit's scanner does:
/// parser directives first, comments and blank lines skipped, a trailing escape character joins the next line,
/// comment and blank lines inside a continuation are dropped, and a continuation may run into end of file.
/// Heredoc bodies are read from the same cursor right after the instruction that opened them.
/// </summary>
internal sealed class LogicalLineReader(SourceText source, ParserDirectives directives)
{
    private int _next = 1;

    /// <summary>Number of the last physical line consumed so far.</summary>
    public int LastLine => _next - 1;

    public bool TryRead(out LogicalLine line, Func<int, string, DockerfileException> error)
    {
        while (_next <= source.Count)
        {
            int lineNo = _next++;
            string text = source.Text(lineNo);
            string trimmed = GoText.TrimLeftSpace(text);
            directives.Inspect(trimmed, message => error(lineNo, message));
            string content = IsComment(trimmed) ? "" : trimmed;
            var (piece, complete) = TrimContinuation(content, directives.EscapeToken);
            if (complete && piece.Length == 0) continue;

            var map = new LineMap();
            var joined = new StringBuilder(piece);
            map.Add(0, piece.Length, lineNo, text.Length - trimmed.Length + 1);
            int firstEmpty = 0;
            while (!complete && _next <= source.Count)
            {
                int contNo = _next++;
                string cont = source.Text(contNo);
                if (IsComment(cont)) continue;
                if (GoText.TrimLeftSpace(cont).Length == 0)
                {
                    if (firstEmpty == 0) firstEmpty = contNo;
                    continue;
                }
                (piece, complete) = TrimContinuation(cont, directives.EscapeToken);
                map.Add(joined.Length, piece.Length, contNo, 1);
                joined.Append(piece);
            }
            line = new LogicalLine(joined.ToString(), map, firstEmpty);
            return true;
        }
        line = null!;
        return false;
    }

    /// <summary>
    /// Reads a heredoc body up to (not including) the terminator line. Lines keep their endings.
    /// With <paramref name="chomp"/> the terminator may be indented with tabs. Returns null at end of file.
    /// </summary>
    public string? ReadHeredocBody(string terminator, bool chomp)
    {
        var body = new StringBuilder();
        while (_next <= source.Count)
        {
            int lineNo = _next++;
            string candidate = source.Text(lineNo);
            if (chomp) candidate = candidate.TrimStart('\t');
            if (candidate == terminator) return body.ToString();
            body.Append(source.Raw(lineNo));
        }
        return null;
    }

    private static bool IsComment(string line)
    {
        string t = GoText.TrimLeftSpace(line);
        return t.Length > 0 && t[0] == '#';
    }

    /// <summary>
    /// A line continues when its last non-blank (space/tab) character is the escape token and that token is not
    /// itself escaped (preceded by another escape token). The token and the blanks after it are removed.
    /// </summary>
    internal static (string Piece, bool Complete) TrimContinuation(string line, char escape)
    {
        int end = line.Length;
        while (end > 0 && line[end - 1] is ' ' or '\t') end--;
        if (end == 0 || line[end - 1] != escape) return (line, true);
        int tokenAt = end - 1;
        if (tokenAt > 0 && line[tokenAt - 1] == escape) return (line, true);
        return (line[..tokenAt], false);
    }
}
