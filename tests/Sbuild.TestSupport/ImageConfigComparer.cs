using Sbuild.Core;

namespace Sbuild.TestSupport;

/// <summary>How to compare two image configurations.</summary>
public sealed record ImageConfigCompareOptions
{
    public static ImageConfigCompareOptions Default { get; } = new();

    public string ExpectedName { get; init; } = "buildkit";
    public string ActualName { get; init; } = "sbuild";
    /// <summary>
    /// Field names (as in the JSON: <c>ArgsEscaped</c>, <c>history</c>, …) left out; say at the call site why they may differ.
    /// </summary>
    public IReadOnlyCollection<string> IgnoreFields { get; init; } = [];
}

/// <summary>
/// Compares image configurations field by field and lists every difference. Null and empty are different values here
/// (<c>"Cmd": null</c> and <c>"Cmd": []</c> serialize differently); timestamps are never compared.
/// </summary>
public static class ImageConfigComparer
{
    /// <summary>
    /// The platform fields, the container config, the number of layers, and the history entries
    /// (created_by, comment, empty_layer; not their timestamps).
    /// </summary>
    public static IReadOnlyList<string> Compare(ImageConfig expected, ImageConfig actual, ImageConfigCompareOptions? options = null)
    {
        options ??= ImageConfigCompareOptions.Default;
        var diff = new Differences(options);
        diff.Value("architecture", expected.Architecture, actual.Architecture);
        diff.Value("os", expected.Os, actual.Os);
        diff.Value("variant", expected.Variant, actual.Variant);
        diff.Value("author", expected.Author, actual.Author);
        CompareContainerConfig(expected.Config, actual.Config, diff);
        diff.Value("rootfs.diff_ids count", expected.RootFs.DiffIds.Count, actual.RootFs.DiffIds.Count);
        if (!options.IgnoreFields.Contains("history"))
        {
            diff.Value("history count", expected.History.Count, actual.History.Count);
            for (var i = 0; i < Math.Min(expected.History.Count, actual.History.Count); i++)
            {
                diff.Value($"history[{i}].created_by", expected.History[i].CreatedBy, actual.History[i].CreatedBy);
                diff.Value($"history[{i}].comment", expected.History[i].Comment, actual.History[i].Comment);
                diff.Value($"history[{i}].empty_layer", expected.History[i].EmptyLayer ?? false, actual.History[i].EmptyLayer ?? false);
            }
        }
        return diff.List;
    }

    /// <summary>Env, Cmd, Entrypoint, WorkingDir, User, Labels, ExposedPorts, Volumes, StopSignal, Shell, OnBuild, Healthcheck, ArgsEscaped.</summary>
    public static IReadOnlyList<string> Compare(ContainerConfig? expected, ContainerConfig? actual, ImageConfigCompareOptions? options = null)
    {
        var diff = new Differences(options ?? ImageConfigCompareOptions.Default);
        CompareContainerConfig(expected ?? new ContainerConfig(), actual ?? new ContainerConfig(), diff);
        return diff.List;
    }

    private static void CompareContainerConfig(ContainerConfig e, ContainerConfig a, Differences diff)
    {
        diff.Value("User", e.User, a.User);
        diff.Sequence("Env", e.Env, a.Env);
        diff.Sequence("Entrypoint", e.Entrypoint, a.Entrypoint);
        diff.Sequence("Cmd", e.Cmd, a.Cmd);
        diff.Value("WorkingDir", e.WorkingDir, a.WorkingDir);
        diff.Map("Labels", e.Labels, a.Labels);
        diff.Map("ExposedPorts", e.ExposedPorts?.ToDictionary(p => p.Key, _ => "{}"), a.ExposedPorts?.ToDictionary(p => p.Key, _ => "{}"));
        diff.Map("Volumes", e.Volumes?.ToDictionary(p => p.Key, _ => "{}"), a.Volumes?.ToDictionary(p => p.Key, _ => "{}"));
        diff.Value("StopSignal", e.StopSignal, a.StopSignal);
        diff.Sequence("Shell", e.Shell, a.Shell);
        diff.Sequence("OnBuild", e.OnBuild, a.OnBuild);
        diff.Value("ArgsEscaped", e.ArgsEscaped, a.ArgsEscaped);
        if (diff.IsIgnored("Healthcheck")) return;
        if (e.Healthcheck is null || a.Healthcheck is null)
        {
            if (e.Healthcheck is not null || a.Healthcheck is not null)
                diff.Add("Healthcheck", e.Healthcheck is null ? "null" : "set", a.Healthcheck is null ? "null" : "set");
            return;
        }
        diff.Sequence("Healthcheck.Test", e.Healthcheck.Test, a.Healthcheck.Test);
        diff.Value("Healthcheck.Interval", e.Healthcheck.Interval, a.Healthcheck.Interval);
        diff.Value("Healthcheck.Timeout", e.Healthcheck.Timeout, a.Healthcheck.Timeout);
        diff.Value("Healthcheck.StartPeriod", e.Healthcheck.StartPeriod, a.Healthcheck.StartPeriod);
        diff.Value("Healthcheck.StartInterval", e.Healthcheck.StartInterval, a.Healthcheck.StartInterval);
        diff.Value("Healthcheck.Retries", e.Healthcheck.Retries, a.Healthcheck.Retries);
    }

    /// <summary>Collects "field: X (expected) vs Y (actual)" lines, skipping ignored fields.</summary>
    private sealed class Differences(ImageConfigCompareOptions options)
    {
        public List<string> List { get; } = [];

        public bool IsIgnored(string field) => options.IgnoreFields.Contains(field.Split('.', '[')[0]);

        public void Add(string field, string expected, string actual)
        {
            if (!IsIgnored(field)) List.Add($"{field}: {expected} ({options.ExpectedName}) vs {actual} ({options.ActualName})");
        }

        public void Value<T>(string field, T? expected, T? actual)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual)) Add(field, Show(expected), Show(actual));
        }

        public void Sequence(string field, IReadOnlyList<string>? expected, IReadOnlyList<string>? actual)
        {
            var equal = expected is null ? actual is null : actual is not null && expected.SequenceEqual(actual, StringComparer.Ordinal);
            if (!equal) Add(field, Show(expected), Show(actual));
        }

        /// <summary>One line per differing key, so a single changed label does not hide in a long dump.</summary>
        public void Map(string field, IReadOnlyDictionary<string, string>? expected, IReadOnlyDictionary<string, string>? actual)
        {
            if (expected is null || actual is null)
            {
                if (expected is not null || actual is not null) Add(field, Show(expected), Show(actual));
                return;
            }
            foreach (var key in expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal))
            {
                var hasE = expected.TryGetValue(key, out var ev);
                var hasA = actual.TryGetValue(key, out var av);
                if (hasE && hasA && ev == av) continue;
                Add($"{field}[{key}]", hasE ? Quote(ev!) : "(absent)", hasA ? Quote(av!) : "(absent)");
            }
        }

        private static string Show<T>(T? value) => value switch
        {
            null => "null",
            string s => Quote(s),
            IReadOnlyList<string> list => "[" + string.Join(", ", list.Select(Quote)) + "]",
            IReadOnlyDictionary<string, string> map => "{" + string.Join(", ", map.Select(p => $"{Quote(p.Key)}: {Quote(p.Value)}")) + "}",
            bool b => b ? "true" : "false",
            _ => value.ToString() ?? "null",
        };

        private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    }
}
