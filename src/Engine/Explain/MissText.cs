namespace Sbuild.Engine.Explain;

/// <summary>How a <see cref="MissExplanation"/> reads: one line for progress output, one line per difference for <c>sbuild cache why</c>.</summary>
public static class MissText
{
    /// <summary>Files named in the one-line form before "and N more".</summary>
    private const int FilesShown = 5;

    /// <summary>
    /// <c>COPY . /src — changed src/main.c (content), added README.md; 210 files unchanged</c>: <paramref name="step"/>
    /// is the instruction, the rest every non-file difference and the first files that differ.
    /// </summary>
    public static string OneLine(string step, MissExplanation explanation)
    {
        var differences = explanation.Differences;
        var parts = new List<string>();
        // A changed instruction makes its op fields differ too; saying so once is enough on one line.
        var textChanged = differences.Any(d => d.Kind == DifferenceKind.Instruction);
        foreach (var d in differences)
        {
            if (IsFile(d) || (textChanged && d.Kind == DifferenceKind.Option)) continue;
            parts.Add(Describe(d));
        }
        var files = differences.Where(IsFile).ToList();
        if (files.Count > 0)
        {
            var shown = string.Join(", ", files.Take(FilesShown).Select(FileText));
            parts.Add(files.Count > FilesShown ? $"{shown} and {files.Count - FilesShown} more" : shown);
        }
        var line = string.Join("; ", parts);
        if (files.Count > 0 || explanation.UnchangedFiles > 0)
            line += $"; {explanation.UnchangedFiles} {(explanation.UnchangedFiles == 1 ? "file" : "files")} unchanged";
        return $"{step} — {line}";
    }

    /// <summary>Every difference, one per line.</summary>
    public static IEnumerable<string> AllLines(MissExplanation explanation)
    {
        foreach (var d in explanation.Differences)
            yield return d.Kind switch
            {
                DifferenceKind.Instruction => $"instruction text changed: {d.Before} → {d.After}",
                DifferenceKind.Option => $"{d.Subject}: {d.Before ?? "(none)"} → {d.After ?? "(none)"}",
                _ when IsFile(d) => FileText(d),
                _ => Describe(d),
            };
        if (explanation.UnchangedFiles > 0) yield return $"{explanation.UnchangedFiles} {(explanation.UnchangedFiles == 1 ? "file" : "files")} unchanged";
    }

    private static bool IsFile(Difference d) => d.Kind is DifferenceKind.Changed or DifferenceKind.Added or DifferenceKind.Removed;

    private static string FileText(Difference d) => d.Kind switch
    {
        DifferenceKind.Changed => $"changed {d.Subject} ({d.After})",
        DifferenceKind.Added => $"added {d.Subject}",
        _ => $"removed {d.Subject}",
    };

    private static string Describe(Difference d) => d.Kind switch
    {
        DifferenceKind.Instruction => "instruction text changed",
        DifferenceKind.Option => $"{d.Subject} {Short(d.Before)} → {Short(d.After)}",
        DifferenceKind.Arg => $"ARG {d.Subject} {d.Before ?? "(unset)"} → {d.After ?? "(unset)"}",
        DifferenceKind.Env => $"ENV {d.Subject} {d.Before ?? "(unset)"} → {d.After ?? "(unset)"}",
        DifferenceKind.Base => $"base {d.Subject} moved to {d.After}",
        DifferenceKind.Parent => $"parent step changed: {d.Subject}",
        DifferenceKind.Source => $"source changed: {d.Subject}",
        DifferenceKind.Gone => "inputs unchanged, but the cached result is gone (pruned)",
        _ => "cache inputs changed in a way the earlier record does not show (a newer cache-key format?)",
    };

    /// <summary>An op field's value, cut to keep the line readable (the full value is in <see cref="AllLines"/>).</summary>
    private static string Short(string? value) => value is null ? "(none)" : value.Length <= 40 ? value : value[..37] + "...";
}
