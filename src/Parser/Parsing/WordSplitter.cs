using System.Text;
using Sbuild.Parser.Text;

namespace Sbuild.Parser.Parsing;

/// <summary>
/// Splits ENV/LABEL/ARG argument text into words on unquoted whitespace. Quotes and escape tokens are KEPT in the
/// words (they are interpreted later by the shell lexer); a quoted section may contain spaces; inside single quotes
/// the escape token has no effect; an escape token at the very end of the text is dropped.
/// </summary>
internal static class WordSplitter
{
    private enum Phase { Spaces, Word, Quote }

    public static List<string> Split(string rest, char escape)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var phase = Phase.Spaces;
        char quote = '\0';
        bool blankOk = false;

        for (int pos = 0; pos <= rest.Length; pos++)
        {
            char ch = pos < rest.Length ? rest[pos] : '\0';
            if (phase == Phase.Spaces)
            {
                if (pos == rest.Length) break;
                if (GoText.IsSpace(ch)) continue;
                phase = Phase.Word;
            }
            if (pos == rest.Length)
            {
                if (blankOk || word.Length > 0) words.Add(word.ToString());
                break;
            }
            if (phase == Phase.Word)
            {
                if (GoText.IsSpace(ch))
                {
                    phase = Phase.Spaces;
                    if (blankOk || word.Length > 0) words.Add(word.ToString());
                    word.Clear();
                    blankOk = false;
                    continue;
                }
                if (ch is '\'' or '"')
                {
                    quote = ch;
                    blankOk = true;
                    phase = Phase.Quote;
                }
                if (ch == escape)
                {
                    if (pos + 1 == rest.Length) continue;
                    // Unquoted escape: keep it together with the next character, even a quote.
                    word.Append(ch);
                    ch = rest[++pos];
                }
                word.Append(ch);
                continue;
            }
            // Phase.Quote
            if (ch == quote) phase = Phase.Word;
            if (ch == escape && quote != '\'')
            {
                if (pos + 1 == rest.Length)
                {
                    phase = Phase.Word;
                    continue;
                }
                word.Append(ch);
                ch = rest[++pos];
            }
            word.Append(ch);
        }
        return words;
    }
}
