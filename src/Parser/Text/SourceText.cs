namespace Sbuild.Parser.Text;

/// <summary>
/// The physical lines of a Dockerfile. Lines are split on '\n' only (like Go's bufio scanner); <see cref="Raw"/>
/// keeps the line ending (heredoc bodies need it), <see cref="Text"/> drops trailing '\r' and '\n'.
/// </summary>
internal sealed class SourceText
{
    private readonly List<string> _raw = [];
    private readonly List<string> _text = [];

    public SourceText(string content)
    {
        // A UTF-8 byte-order mark survives decoding as U+FEFF; BuildKit drops it from the first line.
        if (content.Length > 0 && content[0] == '\uFEFF') content = content[1..];
        int start = 0;
        while (start < content.Length)
        {
            int nl = content.IndexOf('\n', start);
            int end = nl < 0 ? content.Length : nl + 1;
            string raw = content[start..end];
            _raw.Add(raw);
            _text.Add(raw.TrimEnd('\r', '\n'));
            start = end;
        }
    }

    public int Count => _raw.Count;

    /// <summary>Line text without its ending; <paramref name="line"/> is 1-based.</summary>
    public string Text(int line) => _text[line - 1];

    /// <summary>Line text including its ending; <paramref name="line"/> is 1-based.</summary>
    public string Raw(int line) => _raw[line - 1];

    public IReadOnlyList<string> Lines => _text;
}

/// <summary>Maps offsets in a joined logical line (continuations removed) back to physical line and column.</summary>
internal sealed class LineMap
{
    private readonly List<(int Offset, int Length, int Line, int Column)> _segments = [];

    public void Add(int offset, int length, int line, int column) => _segments.Add((offset, length, line, column));

    /// <summary>Line and 1-based column of the character at <paramref name="offset"/> of the logical line.</summary>
    public (int Line, int Column) Locate(int offset)
    {
        if (_segments.Count == 0) return (1, 1);
        var best = _segments[0];
        foreach (var seg in _segments)
        {
            if (seg.Offset > offset) break;
            if (seg.Length > 0 || seg.Offset == offset) best = seg;
        }
        return (best.Line, best.Column + Math.Max(0, offset - best.Offset));
    }
}
