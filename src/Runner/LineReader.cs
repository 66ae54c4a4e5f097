using System.Text;

namespace Sbuild.Runner;

/// <summary>Splits a byte stream into UTF-8 lines as data arrives (no waiting for the end), so output shows live.
/// A line ends at '\n' (a trailing '\r' is dropped); overlong lines are cut so memory stays bounded. Each read's raw
/// bytes are handed out too, before its lines, for a record that must keep them exactly (a step's log).</summary>
internal static class LineReader
{
    public const int MaxLineLength = 64 * 1024;

    public const int ReadSize = 16 * 1024;

    public static async Task PumpAsync(Stream source, Action<ReadOnlySpan<byte>>? onBytes, Action<string> onLine, CancellationToken ct)
    {
        var decoder = Encoding.UTF8.GetDecoder();
        var bytes = new byte[ReadSize];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        var line = new StringBuilder();
        int read;
        while ((read = await source.ReadAsync(bytes, ct).ConfigureAwait(false)) > 0)
        {
            onBytes?.Invoke(bytes.AsSpan(0, read));
            var count = decoder.GetChars(bytes, 0, read, chars, 0, flush: false);
            Split(chars.AsSpan(0, count), line, onLine);
        }
        var rest = decoder.GetChars([], 0, 0, chars, 0, flush: true);
        Split(chars.AsSpan(0, rest), line, onLine);
        if (line.Length > 0)
            Emit(line, onLine);
    }

    private static void Split(ReadOnlySpan<char> text, StringBuilder line, Action<string> onLine)
    {
        while (!text.IsEmpty)
        {
            var newline = text.IndexOf('\n');
            var room = MaxLineLength - line.Length;
            if (newline < 0 || newline > room)
            {
                var take = Math.Min(text.Length, room);
                line.Append(text[..take]);
                text = text[take..];
                if (line.Length == MaxLineLength)
                    Emit(line, onLine);
                continue;
            }
            line.Append(text[..newline]);
            text = text[(newline + 1)..];
            Emit(line, onLine);
        }
    }

    private static void Emit(StringBuilder line, Action<string> onLine)
    {
        if (line.Length > 0 && line[^1] == '\r')
            line.Length--;
        onLine(line.ToString());
        line.Clear();
    }
}
