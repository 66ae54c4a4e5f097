using Sbuild.Core;
using Sbuild.Parser;

namespace Sbuild.Frontend;

/// <summary>
/// The <c># check=</c> directive: <c>skip=Rule1,Rule2</c> (or <c>skip=all</c>) drops warnings, <c>error=true</c> turns the
/// remaining ones into a build failure, as BuildKit's checks do.
/// </summary>
public static class LintPolicy
{
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
