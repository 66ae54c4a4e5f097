using Sbuild.Core;

namespace Sbuild.Frontend;

/// <summary>A history entry of the stage: <see cref="Layer"/> is the step that adds its layer (null: an empty_layer entry).</summary>
public sealed record PlannedHistory(string CreatedBy, OpNode? Layer);

/// <summary>
/// A stage converted to graph form: the node whose result is the stage's filesystem, and the image
/// configuration and history that its instructions produce.
/// </summary>
/// <remarks>
/// ENV and LABEL change the stage's Env list and Labels in place, with an index by name, and expansion reads a live view
/// of ARGs and ENV (<see cref="Expansion"/>): a Dockerfile of 100,000 ENV or LABEL lines plans in linear time, not in
/// time growing with the square of its length. The stage owns those collections: a config set from elsewhere (the
/// base image, a parent stage) is copied first, so a stage never changes the config it started from.
/// </remarks>
public sealed class StagePlan
{
    private ContainerConfig _config = null!;
    private List<string>? _env;
    // Name → position of its first entry in _env (where ENV replaces it), and → value of its last (what expansion reads).
    private readonly Dictionary<string, int> _envPosition = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _envValue = new(StringComparer.Ordinal);
    private SortedDictionary<string, string>? _labels;
    private ExpansionView? _expansion;

    public required int Index { get; init; }
    public required string DisplayName { get; init; }
    public required OpNode Fs { get; set; }

    public required ContainerConfig Config
    {
        get => _config;
        set
        {
            if (!ReferenceEquals(value.Env, _env))
            {
                _env = value.Env is null ? null : [.. value.Env];
                _envPosition.Clear();
                _envValue.Clear();
                for (var i = 0; i < (_env?.Count ?? 0); i++)
                {
                    var eq = _env![i].IndexOf('=');
                    if (eq <= 0) continue;
                    _envPosition.TryAdd(_env[i][..eq], i);
                    _envValue[_env[i][..eq]] = _env[i][(eq + 1)..];
                }
            }
            if (!ReferenceEquals(value.Labels, _labels))
                _labels = value.Labels is null ? null : new SortedDictionary<string, string>(value.Labels, StringComparer.Ordinal);
            _config = value with { Env = _env, Labels = _labels };
        }
    }

    /// <summary>Sets an ENV variable; one that is already set keeps its place in the list, as in BuildKit.</summary>
    public void SetEnv(string name, string value)
    {
        _env ??= [];
        var entry = $"{name}={value}";
        if (_envPosition.TryGetValue(name, out var at)) _env[at] = entry;
        else
        {
            _envPosition[name] = _env.Count;
            _env.Add(entry);
        }
        _envValue[name] = value;
        _config = _config with { Env = _env };
    }

    /// <summary>Whether ENV (of the base or this stage) sets <paramref name="name"/>.</summary>
    public bool HasEnv(string name) => _envValue.ContainsKey(name);

    /// <summary>Sets a label (LABEL).</summary>
    public void SetLabel(string key, string value)
    {
        _labels ??= new SortedDictionary<string, string>(StringComparer.Ordinal);
        _labels[key] = value;
        _config = _config with { Labels = _labels };
    }

    /// <summary>Variables visible to expansion, as they stand: the stage's ARGs, overridden by ENV (ENV always wins).</summary>
    public IReadOnlyDictionary<string, string> Expansion => _expansion ??= new ExpansionView(this);

    private sealed class ExpansionView(StagePlan plan) : IReadOnlyDictionary<string, string>
    {
        public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out string value) =>
            plan._envValue.TryGetValue(key, out value) || plan.Args.TryGetValue(key, out value);

        public string this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);
        public bool ContainsKey(string key) => plan._envValue.ContainsKey(key) || plan.Args.ContainsKey(key);
        public IEnumerable<string> Keys => this.Select(p => p.Key);
        public IEnumerable<string> Values => this.Select(p => p.Value);
        public int Count => plan._envValue.Count + plan.Args.Keys.Count(k => !plan._envValue.ContainsKey(k));

        public IEnumerator<KeyValuePair<string, string>> GetEnumerator() =>
            plan._envValue.Concat(plan.Args.Where(a => !plan._envValue.ContainsKey(a.Key))).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
    /// <summary>The platform the stage is built for: the build's target, or its <c>FROM --platform</c>. RUN steps run as it.</summary>
    public required Platform Platform { get; init; }
    /// <summary>The image config's platform: the base image's (which was chosen for <see cref="Platform"/>), scratch's is <see cref="Platform"/>.</summary>
    public required string Os { get; init; }
    public required string Architecture { get; init; }
    public string? Variant { get; init; }
    /// <summary>The image author (MAINTAINER), inherited from the base.</summary>
    public string? Author { get; set; }
    /// <summary>History of the base image, kept as is.</summary>
    public required IReadOnlyList<HistoryEntry> BaseHistory { get; init; }
    public List<PlannedHistory> History { get; } = [];
    /// <summary>ARG values declared in this stage (name → value); visible to RUN and expansion, not stored in the image.</summary>
    public Dictionary<string, string> Args { get; } = new(StringComparer.Ordinal);
    /// <summary>Names of the ARGs declared in this stage (and in the stage it is built on), in order, for RUN's history.</summary>
    public List<string> DeclaredArgs { get; } = [];
    /// <summary>Whether this stage set CMD itself (an ENTRYPOINT then keeps it; otherwise ENTRYPOINT clears an inherited CMD).</summary>
    public bool CmdSet { get; set; }
}
