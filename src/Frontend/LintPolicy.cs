using Sbuild.Core;
using Sbuild.Parser;
using Sbuild.Parser.Binding;

namespace Sbuild.Frontend;

/// <summary>
/// The <c># check=</c> directive: <c>skip=Rule1,Rule2</c> (or <c>skip=all</c>) drops warnings, <c>error=true</c> turns the
/// remaining ones into a build failure, as BuildKit's checks do.
/// </summary>
public static class LintPolicy
{
    /// <summary>
    /// sbuild's SecretsPersisted warnings for the image a build makes: an ENV whose name looks secret (BuildKit's
    /// SecretsUsedInArgOrEnv test) set to a value in the image config, and an ARG whose name looks secret whose value a
    /// RUN's history entry records (<c>RUN |1 GITHUB_TOKEN=… cmd</c>). Unlike the declaration rule, these say the value
    /// is in the image, and how to pass it instead.
    /// </summary>
    public static IEnumerable<string> PersistedSecrets(StagePlan target)
    {
        const string instead = "pass it with --secret id=NAME and read it in RUN --mount=type=secret,id=NAME,env=NAME (nothing of it stays in the image)";
        foreach (var entry in target.Config.Env ?? [])
        {
            var eq = entry.IndexOf('=');
            if (eq > 0 && eq < entry.Length - 1 && SecretNames.LooksSecret(entry[..eq]))
                yield return $"SecretsPersisted: ENV {entry[..eq]} is in the image config; {instead.Replace("NAME", entry[..eq], StringComparison.Ordinal)}";
        }
        var runs = target.History.Where(h => h.CreatedBy.StartsWith("RUN |", StringComparison.Ordinal)).Select(h => h.CreatedBy).ToList();
        foreach (var name in target.DeclaredArgs.Distinct(StringComparer.Ordinal))
        {
            if (!SecretNames.LooksSecret(name)) continue;
            // "RUN |N A=1 B=2 cmd": a name whose value is not empty.
            var recorded = runs.FirstOrDefault(r => r.Contains($" {name}=", StringComparison.Ordinal) && !r.Contains($" {name}= ", StringComparison.Ordinal));
            if (recorded is not null)
                yield return $"SecretsPersisted: the value of ARG {name} is in the image history (RUN |… {name}=…); {instead.Replace("NAME", name, StringComparison.Ordinal)}";
        }
    }

    public static void Check(DockerfileAst ast, List<string> warnings)
    {
        if (Filter(ast, warnings) && warnings.Count > 0)
            throw new SbuildException(ErrorCode.LintFailed,
                $"lint check failed ({ast.File} has # check=error=true):\n" + string.Join('\n', warnings.Select(w => "  " + w)));
    }

    /// <summary>Drops the warnings <c>skip=</c> names; returns whether <c>error=true</c> is set.</summary>
    public static bool Filter(DockerfileAst ast, List<string> warnings)
    {
        if (!ast.Directives.TryGetValue("check", out var directive)) return false;
        var skip = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var error = false;
        foreach (var part in directive.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            var key = eq < 0 ? part : part[..eq].Trim();
            var value = eq < 0 ? "" : part[(eq + 1)..].Trim();
            if (key.Equals("skip", StringComparison.OrdinalIgnoreCase))
                skip.UnionWith(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            else if (key.Equals("error", StringComparison.OrdinalIgnoreCase))
                error = value.Equals("true", StringComparison.OrdinalIgnoreCase);
        }
        warnings.RemoveAll(w => skip.Contains("all") || skip.Contains(RuleOf(w)));
        return error;
    }

    /// <summary>Warnings read "file:line: Rule: message" or "Rule: message".</summary>
    private static string RuleOf(string warning)
    {
        var parts = warning.Split(": ");
        return parts.Length >= 3 ? parts[1] : parts[0];
    }
}
