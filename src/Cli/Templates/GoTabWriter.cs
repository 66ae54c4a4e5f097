using System.Text;

namespace Sbuild.Cli.Templates;

/// <summary>
/// Go's text/tabwriter with the settings of docker's tables (minwidth 10, padding 3, padded with spaces): a cell is
/// text ended by a tab; a column is as wide as its widest cell plus the padding, and at least the minimum, within each
/// block of consecutive lines that have that column; the text after a line's last tab is not aligned.
/// </summary>
public static class GoTabWriter
{
    public static string Format(string text, int minWidth = 10, int padding = 3)
    {
        var lines = text.Split('\n').Select(l => l.Split('\t')).ToList();
        var output = new StringBuilder();
        FormatColumns(output, lines, [], 0, lines.Count, minWidth, padding);
        return output.ToString();
    }

    /// <summary>Go's recursive Writer.format: widths of the columns left of <paramref name="widths"/>.Count are known.</summary>
    private static void FormatColumns(StringBuilder output, List<string[]> lines, List<int> widths, int line0, int line1, int minWidth, int padding)
    {
        var column = widths.Count;
        for (var current = line0; current < line1; current++)
        {
            if (column >= lines[current].Length - 1) continue;
            // A block of lines that have a cell in this column starts here: print the lines before it.
            WriteLines(output, lines, widths, line0, current);
            line0 = current;
            var width = minWidth;
            for (; current < line1; current++)
            {
                var cells = lines[current];
                if (column >= cells.Length - 1) break;
                width = Math.Max(width, Runes(cells[column]) + padding);
            }
            widths.Add(width);
            FormatColumns(output, lines, widths, line0, current, minWidth, padding);
            widths.RemoveAt(widths.Count - 1);
            line0 = current;
        }
        WriteLines(output, lines, widths, line0, line1);
    }

    private static void WriteLines(StringBuilder output, List<string[]> lines, List<int> widths, int line0, int line1)
    {
        for (var i = line0; i < line1; i++)
        {
            var cells = lines[i];
            for (var j = 0; j < cells.Length; j++)
            {
                output.Append(cells[j]);
                // Every cell but the line's last was ended by a tab and is padded to its column's width.
                if (j < cells.Length - 1 && j < widths.Count) output.Append(' ', widths[j] - Runes(cells[j]));
            }
            if (i + 1 < lines.Count) output.Append('\n');
        }
    }

    private static int Runes(string text) => text.EnumerateRunes().Count();
}
