using System.Text.Json;

namespace Sbuild.Engine.Explain;

/// <summary>
/// Compares a step's earlier cache inputs with its current ones: the instruction text, each op field, each
/// ARG/ENV variable, each input (a base image that moved, a parent or source step that changed) and, for COPY/ADD,
/// each selected file (content, mode, type, link target, owner; added, removed) and downloaded URL (content, with the
/// ETag and Last-Modified headers that changed).
/// </summary>
public static class MissComparison
{
    /// <param name="sameKey">Whether the earlier record had the same cache key (then nothing differs: its result is gone).</param>
    public static (IReadOnlyList<Difference> Differences, int UnchangedFiles) Compare(StepInputs before, StepInputs after, bool sameKey)
    {
        var differences = new List<Difference>();
        if (before.Instruction != after.Instruction)
            differences.Add(new Difference(DifferenceKind.Instruction, "instruction", before.Instruction, after.Instruction));
        CompareOp(before.Op, after.Op, differences);
        CompareEnv(before, after, differences);
        // Where both records list the files a step reads from its other inputs (COPY --from), the files say what changed.
        CompareInputs(before.Inputs, after.Inputs, differences, sourcesListed: before.Files is not null && after.Files is not null);
        var unchanged = 0;
        if (before.Files is { } oldFiles && after.Files is { } newFiles) unchanged = CompareFiles(oldFiles, newFiles, differences);
        if (differences.Count == 0)
            differences.Add(sameKey
                ? new Difference(DifferenceKind.Gone, "result")
                : new Difference(DifferenceKind.Other, "key"));
        return (differences, unchanged);
    }

    private static void CompareOp(JsonElement before, JsonElement after, List<Difference> differences)
    {
        if (before.ValueKind != JsonValueKind.Object || after.ValueKind != JsonValueKind.Object)
        {
            if (!JsonElement.DeepEquals(before, after)) differences.Add(new Difference(DifferenceKind.Option, "op", before.GetRawText(), after.GetRawText()));
            return;
        }
        var names = before.EnumerateObject().Select(p => p.Name).Concat(after.EnumerateObject().Select(p => p.Name)).Distinct(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var had = before.TryGetProperty(name, out var old);
            var has = after.TryGetProperty(name, out var now);
            if (had && has && JsonElement.DeepEquals(old, now)) continue;
            differences.Add(new Difference(DifferenceKind.Option, name, had ? Text(old) : null, has ? Text(now) : null));
        }
    }

    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();

    private static void CompareEnv(StepInputs before, StepInputs after, List<Difference> differences)
    {
        var old = Variables(before.Env);
        var now = Variables(after.Env);
        var args = before.Args.Concat(after.Args).ToHashSet(StringComparer.Ordinal);
        foreach (var name in old.Keys.Concat(now.Keys).Distinct(StringComparer.Ordinal))
        {
            var had = old.GetValueOrDefault(name);
            var has = now.GetValueOrDefault(name);
            if (had == has) continue;
            differences.Add(new Difference(args.Contains(name) ? DifferenceKind.Arg : DifferenceKind.Env, name, had, has));
        }
    }

    private static Dictionary<string, string> Variables(IReadOnlyList<string> env)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in env)
        {
            var eq = entry.IndexOf('=');
            if (eq > 0) variables[entry[..eq]] = entry[(eq + 1)..];
        }
        return variables;
    }

    private static void CompareInputs(IReadOnlyList<InputRecord> before, IReadOnlyList<InputRecord> after, List<Difference> differences, bool sourcesListed)
    {
        for (var i = 0; i < (sourcesListed ? Math.Min(1, after.Count) : after.Count); i++)
        {
            var now = after[i];
            var old = i < before.Count ? before[i] : null;
            if (old?.Digest == now.Digest) continue;
            if (old?.Base is { } oldBase && now.Base is { } newBase && Image(oldBase) == Image(newBase))
                differences.Add(new Difference(DifferenceKind.Base, Image(newBase), Manifest(oldBase), Manifest(newBase)));
            else
                differences.Add(new Difference(i == 0 ? DifferenceKind.Parent : DifferenceKind.Source, now.Name, old?.Name, now.Name));
        }
    }

    private static string Image(string pinned) => pinned[..Math.Max(0, pinned.LastIndexOf('@'))];

    private static string Manifest(string pinned) => pinned[(pinned.LastIndexOf('@') + 1)..];

    private static int CompareFiles(IReadOnlyList<FileRecord> before, IReadOnlyList<FileRecord> after, List<Difference> differences)
    {
        var old = new Dictionary<string, FileRecord>(StringComparer.Ordinal);
        foreach (var file in before) old.TryAdd(file.Path, file);
        var unchanged = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in after)
        {
            if (!seen.Add(file.Path)) continue;
            if (!old.TryGetValue(file.Path, out var was))
            {
                differences.Add(new Difference(DifferenceKind.Added, file.Path));
                continue;
            }
            var aspects = new List<string>();
            if (was.Type != file.Type) aspects.Add($"type {was.Type} → {file.Type}");
            else if (was.Digest != file.Digest || was.Size != file.Size) aspects.Add("content");
            if (was.Mode != file.Mode) aspects.Add($"mode {was.Mode} → {file.Mode}");
            if (was.Target != file.Target && was.Type == file.Type) aspects.Add($"link target {was.Target} → {file.Target}");
            if (was.Owner != file.Owner && was.Owner is not null && file.Owner is not null) aspects.Add($"owner {was.Owner} → {file.Owner}");
            // A URL's headers say how the server sees the change (they are not in the key: only a content change misses).
            if (aspects.Count > 0 && file.Type == "url")
            {
                if (was.ETag != file.ETag) aspects.Add($"ETag {was.ETag ?? "(none)"} → {file.ETag ?? "(none)"}");
                if (was.Modified != file.Modified) aspects.Add($"Last-Modified {was.Modified ?? "(none)"} → {file.Modified ?? "(none)"}");
            }
            if (aspects.Count == 0) unchanged += file.Type == "dir" ? 0 : 1; // "N files unchanged" counts what is not a directory
            else differences.Add(new Difference(DifferenceKind.Changed, file.Path, After: string.Join(", ", aspects)));
        }
        foreach (var file in before)
            if (!seen.Contains(file.Path) && seen.Add(file.Path)) differences.Add(new Difference(DifferenceKind.Removed, file.Path));
        return unchanged;
    }
}
