using System.Text.RegularExpressions;

namespace Sbuild.Cli.Tests;

/// <summary>Reading BuildKit-style plain progress (<c>#N name</c>, <c>#N CACHED</c>, <c>#N DONE 0.1s</c>) in assertions.</summary>
internal static class PlainProgressLog
{
    /// <summary>Whether <paramref name="step"/> executed (started and DONE, not CACHED or absent).</summary>
    public static bool Ran(string progress, string step)
    {
        var started = Regex.Match(progress, $@"(?m)^#(\d+) {Regex.Escape(step)}$");
        return started.Success && Regex.IsMatch(progress, $@"(?m)^#{started.Groups[1].Value} DONE ");
    }

    /// <summary>The lines RUN steps printed (<c>#N 0.123 LINE</c>), without the step number and time.</summary>
    public static IReadOnlyList<string> Output(string progress) =>
        [.. Regex.Matches(progress, @"(?m)^#\d+ \d+\.\d+ (.*)$").Select(m => m.Groups[1].Value)];
}
