using Sbuild.Parser.Text;

namespace Sbuild.Parser.Parsing;

/// <summary>How an instruction's argument text is turned into AST arguments.</summary>
internal enum ArgumentForm
{
    /// <summary>JSON array, else the whole text as one string (RUN, CMD, ENTRYPOINT, SHELL).</summary>
    MaybeJson,
    /// <summary>JSON array, else whitespace-separated words (ADD, COPY, VOLUME).</summary>
    MaybeJsonToList,
    /// <summary>Whitespace-separated words (FROM, EXPOSE).</summary>
    Words,
    /// <summary>The whole text as one string (MAINTAINER, STOPSIGNAL, USER, WORKDIR).</summary>
    Text,
    /// <summary>key/value triples, <c>k=v ...</c> or legacy <c>k v</c> (ENV, LABEL).</summary>
    KeyValues,
    /// <summary>Quote-aware words kept as written (ARG).</summary>
    NameOrNameValue,
    /// <summary>Type word (CMD/NONE/...) then MaybeJson (HEALTHCHECK).</summary>
    HealthCheck,
    /// <summary>A nested instruction (ONBUILD).</summary>
    SubCommand,
}

/// <summary>The arguments of one instruction as the AST stores them.</summary>
internal sealed record ParsedArguments(List<string> Args, bool IsJson);

/// <summary>The per-instruction argument grammars (everything except ONBUILD, which recurses in the line parser).</summary>
internal static class ArgumentForms
{
    public static readonly IReadOnlyDictionary<string, ArgumentForm> ByKeyword = new Dictionary<string, ArgumentForm>(StringComparer.Ordinal)
    {
        ["add"] = ArgumentForm.MaybeJsonToList,
        ["arg"] = ArgumentForm.NameOrNameValue,
        ["cmd"] = ArgumentForm.MaybeJson,
        ["copy"] = ArgumentForm.MaybeJsonToList,
        ["entrypoint"] = ArgumentForm.MaybeJson,
        ["env"] = ArgumentForm.KeyValues,
        ["expose"] = ArgumentForm.Words,
        ["from"] = ArgumentForm.Words,
        ["healthcheck"] = ArgumentForm.HealthCheck,
        ["label"] = ArgumentForm.KeyValues,
        ["maintainer"] = ArgumentForm.Text,
        ["onbuild"] = ArgumentForm.SubCommand,
        ["run"] = ArgumentForm.MaybeJson,
        ["shell"] = ArgumentForm.MaybeJson,
        ["stopsignal"] = ArgumentForm.Text,
        ["user"] = ArgumentForm.Text,
        ["volume"] = ArgumentForm.MaybeJsonToList,
        ["workdir"] = ArgumentForm.Text,
    };

    /// <summary>Parses <paramref name="rest"/>; <paramref name="fail"/> builds the exception for a syntax error.</summary>
    public static ParsedArguments Parse(ArgumentForm form, string keyword, string rest, char escape, Func<string, Exception> fail) => form switch
    {
        ArgumentForm.MaybeJson => MaybeJson(rest, fail),
        ArgumentForm.MaybeJsonToList => MaybeJsonToList(rest, fail),
        ArgumentForm.Words => new(Words(rest), false),
        ArgumentForm.Text => new(rest.Length == 0 ? [] : [rest], false),
        ArgumentForm.KeyValues => new(KeyValues(rest, keyword.ToUpperInvariant(), escape, fail), false),
        ArgumentForm.NameOrNameValue => new(WordSplitter.Split(rest, escape), false),
        ArgumentForm.HealthCheck => HealthCheck(rest, fail),
        _ => throw new InvalidOperationException($"argument form {form} is handled by the caller"),
    };

    private static ParsedArguments MaybeJson(string rest, Func<string, Exception> fail)
    {
        if (rest.Length == 0) return new([], false);
        return TryJson(rest, fail) ?? new([rest], false);
    }

    private static ParsedArguments MaybeJsonToList(string rest, Func<string, Exception> fail) =>
        TryJson(rest, fail) ?? new(Words(rest), false);

    /// <summary>Exec form when <paramref name="rest"/> is a JSON array of strings; null when it is not JSON.</summary>
    private static ParsedArguments? TryJson(string rest, Func<string, Exception> fail)
    {
        string json = rest.TrimStart();
        if (!json.StartsWith('[')) return null;
        var (outcome, items) = JsonArray.Read(json);
        return outcome switch
        {
            JsonArrayOutcome.Strings => new(items, true),
            JsonArrayOutcome.NotStringArray => throw fail("when using JSON array syntax, arrays must be comprised of strings only"),
            _ => null,
        };
    }

    private static List<string> Words(string rest) => rest.Length == 0 ? [] : GoText.SplitBlanks(rest, -1);

    /// <summary>
    /// ENV/LABEL: when the first word has no '=', the legacy form <c>KEY value with spaces</c> gives one pair;
    /// otherwise every word must be <c>key=value</c>. Values keep quotes and escapes as written.
    /// </summary>
    private static List<string> KeyValues(string rest, string instruction, char escape, Func<string, Exception> fail)
    {
        var words = WordSplitter.Split(rest, escape);
        if (words.Count == 0) return [];
        if (!words[0].Contains('='))
        {
            var parts = GoText.SplitBlanks(rest, 2);
            if (parts.Count < 2) throw fail($"{instruction} must have two arguments");
            return [parts[0], parts[1], ""];
        }
        var triples = new List<string>(words.Count * 3);
        foreach (string word in words)
        {
            int eq = word.IndexOf('=');
            if (eq < 0) throw fail($"Syntax error - can't find = in {GoQuote.Quote(word)}. Must be of the form: name=value");
            triples.Add(word[..eq]);
            triples.Add(word[(eq + 1)..]);
            triples.Add("=");
        }
        return triples;
    }

    /// <summary>HEALTHCHECK: the first word (CMD, NONE, ...) is kept, the rest is parsed like CMD.</summary>
    private static ParsedArguments HealthCheck(string rest, Func<string, Exception> fail)
    {
        int sep = 0;
        while (sep < rest.Length && !GoText.IsSpace(rest[sep])) sep++;
        if (sep == 0) return new([], false);
        int next = sep;
        while (next < rest.Length && GoText.IsSpace(rest[next])) next++;
        var command = MaybeJson(rest[next..], fail);
        return new([rest[..sep], .. command.Args], command.IsJson);
    }
}
