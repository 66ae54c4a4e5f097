using System.Text;
using Sbuild.Parser.Text;

namespace Sbuild.Parser.Parsing;

/// <summary>An instruction line cut into keyword, <c>--flags</c> and the remaining argument text, with offsets.</summary>
internal sealed record SplitCommand(
    string Keyword, int KeywordOffset,
    IReadOnlyList<string> Flags, IReadOnlyList<int> FlagOffsets,
    string Rest, int RestOffset);

/// <summary>
/// Splits <c>KEYWORD [--flag[=value] ...] [--] rest</c>. Flags are words starting with <c>--</c> right after the
/// keyword; quotes inside a flag word are removed and the escape token takes the next character literally.
/// A bare <c>--</c> ends the flags and is dropped. Offsets are relative to the logical line.
/// </summary>
internal static class CommandSplitter
{
    public static SplitCommand Split(string line, int baseOffset, char escape)
    {
        string trimmed = GoText.TrimSpace(line);
        int lead = line.Length - line.TrimStart().Length;
        var parts = GoText.SplitBlanks(trimmed, 2);
        string keyword = parts[0];
        if (parts.Count < 2)
            return new SplitCommand(keyword, baseOffset + lead, [], [], "", baseOffset + lead + trimmed.Length);

        int remainderOffset = trimmed.Length - parts[1].Length;
        var (flags, flagOffsets, restAt) = ExtractFlags(parts[1], escape);
        string rest = parts[1][restAt..];
        int restLead = rest.Length - rest.TrimStart().Length;
        int absolute = baseOffset + lead + remainderOffset;
        return new SplitCommand(
            keyword, baseOffset + lead,
            flags, flagOffsets.Select(o => absolute + o).ToList(),
            GoText.TrimSpace(rest), absolute + restAt + restLead);
    }

    private enum Phase { Spaces, Word, Quote }

    private static (List<string> Flags, List<int> Offsets, int RestAt) ExtractFlags(string line, char escape)
    {
        var flags = new List<string>();
        var offsets = new List<int>();
        var word = new StringBuilder();
        var phase = Phase.Spaces;
        char quote = '\0';
        bool blankOk = false;
        int wordStart = 0;

        for (int pos = 0; pos <= line.Length; pos++)
        {
            char ch = pos < line.Length ? line[pos] : '\0';
            if (phase == Phase.Spaces)
            {
                if (pos == line.Length) break;
                if (GoText.IsSpace(ch)) continue;
                // Only a word that starts with "--" is a flag; anything else starts the arguments.
                if (ch != '-' || pos + 1 == line.Length || line[pos + 1] != '-') return (flags, offsets, pos);
                phase = Phase.Word;
                wordStart = pos;
            }
            if (pos == line.Length)
            {
                string last = word.ToString();
                if (last != "--" && (blankOk || last.Length > 0)) Add(last);
                break;
            }
            if (phase == Phase.Word)
            {
                if (GoText.IsSpace(ch))
                {
                    string done = word.ToString();
                    phase = Phase.Spaces;
                    if (done == "--") return (flags, offsets, pos);
                    if (blankOk || done.Length > 0) Add(done);
                    word.Clear();
                    blankOk = false;
                    continue;
                }
                if (ch is '\'' or '"')
                {
                    quote = ch;
                    blankOk = true;
                    phase = Phase.Quote;
                    continue;
                }
                if (ch == escape)
                {
                    if (pos + 1 == line.Length) continue;
                    ch = line[++pos];
                }
                word.Append(ch);
                continue;
            }
            // Phase.Quote
            if (ch == quote)
            {
                phase = Phase.Word;
                continue;
            }
            if (ch == escape)
            {
                if (pos + 1 == line.Length)
                {
                    phase = Phase.Word;
                    continue;
                }
                ch = line[++pos];
            }
            word.Append(ch);
        }
        return (flags, offsets, line.Length);

        void Add(string flag)
        {
            flags.Add(flag);
            offsets.Add(wordStart);
        }
    }
}
