using System.Text;

namespace Sbuild.Cli.Templates;

/// <summary>
/// Go's text/tabwriter with the settings of docker's tables (minwidth 10, padding 3, padded with spaces): a cell is
/// text ended by a tab; a column is as wide as its widest cell plus the padding, and at least the minimum, within each
/// block of consecutive lines that have that column; the text after a line's last tab is not aligned.
/// </summary>
public static class GoTabWriter
{
    /// <summary>Docker's tables (<c>docker images</c>, <c>--format "table …"</c>): padded with spaces.</summary>
    public static string Format(string text, int minWidth = 10, int padding = 3) => Format(text, minWidth, padding, tabWidth: 0);

    /// <summary>
    /// buildx's tables (<c>tabwriter.NewWriter(out, 1, 8, 1, '\t', 0)</c> in <c>du</c> and <c>prune</c>): padded with tabs,
    /// each column widened to a multiple of the tab width.
    /// </summary>
    public static string FormatWithTabs(string text) => Format(text, minWidth: 1, padding: 1, tabWidth: 8);

    private static string Format(string text, int minWidth, int padding, int tabWidth)
    {
        var lines = text.Split('\n').Select(l => l.Split('\t')).ToList();
        var output = new StringBuilder();
        new Layout(lines, minWidth, padding, tabWidth).FormatColumns(output, [], 0, lines.Count);
        return output.ToString();
    }

    private sealed record Layout(List<string[]> Lines, int MinWidth, int Padding, int TabWidth)
    {
        /// <summary>Go's recursive Writer.format: widths of the columns left of <paramref name="widths"/>.Count are known.</summary>
        public void FormatColumns(StringBuilder output, List<int> widths, int line0, int line1)
        {
            var lines = Lines;
            var column = widths.Count;
            for (var current = line0; current < line1; current++)
            {
                if (column >= lines[current].Length - 1) continue;
                // A block of lines that have a cell in this column starts here: print the lines before it.
                WriteLines(output, widths, line0, current);
                line0 = current;
                var width = MinWidth;
                for (; current < line1; current++)
                {
                    var cells = lines[current];
                    if (column >= cells.Length - 1) break;
                    width = Math.Max(width, Runes(cells[column]) + Padding);
                }
                widths.Add(width);
                FormatColumns(output, widths, line0, current);
                widths.RemoveAt(widths.Count - 1);
                line0 = current;
            }
            WriteLines(output, widths, line0, line1);
        }

        private void WriteLines(StringBuilder output, List<int> widths, int line0, int line1)
        {
            var lines = Lines;
            for (var i = line0; i < line1; i++)
            {
                var cells = lines[i];
                for (var j = 0; j < cells.Length; j++)
                {
                    output.Append(cells[j]);
                    // Every cell but the line's last was ended by a tab and is padded to its column's width.
                    if (j < cells.Length - 1 && j < widths.Count) Pad(output, Runes(cells[j]), widths[j]);
                }
                if (i + 1 < lines.Count) output.Append('\n');
            }
        }

        /// <summary>Go's writePadding: with tabs the cell is widened to the next multiple of the tab width.</summary>
        private void Pad(StringBuilder output, int textWidth, int cellWidth)
        {
            if (TabWidth == 0)
            {
                output.Append(' ', cellWidth - textWidth);
                return;
            }
            cellWidth = (cellWidth + TabWidth - 1) / TabWidth * TabWidth;
            output.Append('\t', (cellWidth - textWidth + TabWidth - 1) / TabWidth);
        }

        private static int Runes(string text) => text.EnumerateRunes().Count();
    }
}
