using Sbuild.Core;

namespace Sbuild.Parser.Tests;

/// <summary>BuildKit's shell lexer tables: <c>envVarTest</c> (ProcessWord) and <c>wordsTest</c> (ProcessWords).</summary>
public sealed class ShellConformanceTests
{
    private static readonly Dictionary<string, string> EnvVarTestEnv = new()
    {
        ["PWD"] = "/home",
        ["SHELL"] = "bash",
        ["KOREAN"] = "한국어",
        ["NULL"] = "",
    };

    /// <summary>(line number, input, expected) for every non-Windows line of envVarTest.</summary>
    public static IEnumerable<object[]> EnvVarCases()
    {
        if (ConformanceData.Root is null) return [[0, ConformanceData.Missing, ""]];
        var cases = new List<object[]>();
        string[] lines = File.ReadAllLines(Path.Combine(ConformanceData.Root, "shell", "envVarTest"));
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.StartsWith('#')) continue;
            line = line.Trim();
            if (line.Length == 0) continue;
            string[] fields = line.Split('|');
            if (fields.Length != 3) throw new InvalidDataException($"envVarTest line {i + 1}: expected 3 fields: {line}");
            string platform = fields[0].Trim();
            if (platform == "W") continue; // Windows-only expectations
            cases.Add([i + 1, fields[1].Trim(), fields[2].Trim()]);
        }
        return cases;
    }

    /// <summary>Line numbers of the test lines of wordsTest (ENV lines set variables for the lines below).</summary>
    public static IEnumerable<object[]> WordsCases()
    {
        if (ConformanceData.Root is null) return [[0]];
        string[] lines = File.ReadAllLines(Path.Combine(ConformanceData.Root, "shell", "wordsTest"));
        return lines
            .Select((line, index) => (line, index))
            .Where(x => !x.line.StartsWith('#') && !x.line.StartsWith("ENV ", StringComparison.Ordinal))
            .Select(x => new object[] { x.index + 1 })
            .ToList();
    }

    [Theory]
    [MemberData(nameof(EnvVarCases))]
    public void ProcessWordMatchesReference(int line, string input, string expected)
    {
        if (input == ConformanceData.Missing) Assert.Fail(ConformanceData.Problem);
        var lex = new ShellLex('\\');
        if (expected == "error")
        {
            var error = Assert.Throws<SbuildException>(() => lex.ProcessWord(input, EnvVarTestEnv));
            Assert.Equal(ErrorCode.ExpansionError, error.Code);
        }
        else
        {
            Assert.True(line > 0);
            Assert.Equal(expected, lex.ProcessWord(input, EnvVarTestEnv));
        }
    }

    [Theory]
    [MemberData(nameof(WordsCases))]
    public void ProcessWordsMatchesReference(int lineNumber)
    {
        if (lineNumber == 0) Assert.Fail(ConformanceData.Problem);
        string[] lines = File.ReadAllLines(ConformanceData.Path("shell", "wordsTest"));
        var env = new Dictionary<string, string>();
        for (int i = 0; i < lineNumber - 1; i++)
        {
            if (!lines[i].StartsWith("ENV ", StringComparison.Ordinal)) continue;
            string assignment = lines[i][4..].TrimStart(' ');
            int eq = assignment.IndexOf('=');
            env[assignment[..eq]] = assignment[(eq + 1)..];
        }
        string[] fields = lines[lineNumber - 1].Split('|');
        Assert.True(fields.Length == 2, $"wordsTest line {lineNumber} must have exactly one '|'");
        string input = fields[0].Trim();
        string[] expected = fields[1].TrimStart(' ').Split(',');

        string[] actual;
        try
        {
            actual = [.. new ShellLex('\\').ProcessWords(input, env)];
        }
        catch (SbuildException ex) when (ex.Code == ErrorCode.ExpansionError)
        {
            actual = ["error"];
        }
        Assert.Equal(expected, actual);
    }
}
