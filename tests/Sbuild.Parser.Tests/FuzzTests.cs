using System.Diagnostics;
using System.Text;
using Sbuild.Core;
using Xunit.Abstractions;

namespace Sbuild.Parser.Tests;

/// <summary>
/// 100k random and mutated Dockerfiles (seeded, so failures reproduce): Parse, Print and Bind may only fail with
/// DockerfileException (or SbuildException for expansion), never with any other exception or a hang.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20240611;
    private const int Iterations = 100_000;

    private static readonly string[] Keywords =
    [
        "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
        "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "from", "Run", "onbuild run", "BOGUS",
    ];

    private static readonly string[] Fragments =
    [
        "\\", "\\\n", "`", "`\n", "\"", "'", "$", "${", "}", "${A:-x}", "${A#*}", "${A//a/b}", "${A:?}", "$1", "$@",
        "[", "]", "[\"a\", \"b\"]", "[1, {\"x\": []}]", "<<EOF", "<<-EOF", "<<'EOF'", "<<\"E\"OF", "2<<X", "\nEOF\n",
        "\n\tEOF\n", "--", "--mount=type=cache,target=/x", "--platform=$BUILDPLATFORM", "--from=0", "--chown=1:1",
        "--link", "--link=false", "--interval=1s", "--retries=x", "=", "a=b", "AS", "as", "\n", "\r\n", "\t", " ",
        "#", "# escape=`\n", "# syntax=x\n", "\n\n", "CMD", "NONE", "é", "😀", "\u00a0", "\u0000", "\uFEFF", "\\u0041",
        "\"\\u00e9\"", "1e999", "{", "ONBUILD ", "FROM a AS b\n", "ARG X=${Y:-z}\n",
    ];

    private static readonly string[] BuiltInSeeds =
    [
        "FROM alpine\nRUN echo hi\n",
        "# syntax=docker/dockerfile:1\nARG B=alpine\nFROM $B AS build\nRUN --mount=type=cache,target=/c <<EOF\nset -e\necho $HOME\nEOF\nCOPY --from=build <<-X /a\n\thi\n\tX\n",
        "# escape=`\nFROM mcr/x\nRUN dir `\n  c:\\\nSHELL [\"cmd\", \"/S\"]\n",
        "FROM a\nHEALTHCHECK --interval=5s CMD [\"curl\", \"x\"]\nONBUILD ADD . /app\nENV a=1 b=\"2 3\" \\\n  c=4\nLABEL x y\n",
    ];

    [Fact]
    public void RandomAndMutatedDockerfilesOnlyFailWithDockerfileErrors()
    {
        var corpus = LoadCorpus();
        var random = new Random(Seed);
        var buildArgs = new Dictionary<string, string> { ["A"] = "aa", ["B"] = "", ["BUILDPLATFORM"] = "linux/arm64" };
        var watch = Stopwatch.StartNew();
        int parsed = 0, bound = 0;

        for (int i = 0; i < Iterations; i++)
        {
            string text = random.Next(4) == 0 ? Generate(random) : Mutate(random, corpus[random.Next(corpus.Count)]);
            try
            {
                var ast = DockerfileParser.Parse(text, "Dockerfile");
                parsed++;
                _ = AstPrinter.Print(ast);
                _ = InstructionBinder.Bind(ast, buildArgs);
                bound++;
            }
            catch (SbuildException ex) when (ex is DockerfileException || ex.Code == ErrorCode.ExpansionError)
            {
                Assert.False(ex.Message.Contains("internal parser error", StringComparison.Ordinal),
                    $"iteration {i} (seed {Seed}) hit a parser bug: {ex.Message}\ninput: {Escape(text)}");
            }
            catch (Exception ex)
            {
                Assert.Fail($"iteration {i} (seed {Seed}) threw {ex.GetType().Name}: {ex.Message}\ninput: {Escape(text)}\n{ex.StackTrace}");
            }
        }

        output.WriteLine($"{Iterations} inputs: {parsed} parsed, {bound} bound, {watch.Elapsed.TotalSeconds:F1}s");
        // The generator must reach the interesting paths, not only produce garbage.
        Assert.True(parsed > Iterations / 10, $"only {parsed} inputs parsed");
        Assert.True(bound > Iterations / 20, $"only {bound} inputs bound");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"fuzzing took {watch.Elapsed}");
    }

    [Fact]
    public void RandomWordsOnlyFailWithExpansionErrors()
    {
        var random = new Random(Seed + 1);
        var env = new Dictionary<string, string> { ["A"] = "a b", ["B"] = "", ["C"] = "x*y?z" };
        for (int i = 0; i < 20_000; i++)
        {
            var sb = new StringBuilder();
            int parts = random.Next(1, 6);
            for (int p = 0; p < parts; p++) sb.Append(random.Next(3) == 0 ? (char)random.Next(32, 127) : Fragments[random.Next(Fragments.Length)]);
            string word = sb.ToString();
            var lex = new ShellLex(random.Next(2) == 0 ? '\\' : '`');
            try
            {
                _ = lex.ProcessWord(word, env);
                _ = lex.ProcessWords(word, env);
            }
            catch (SbuildException ex) when (ex.Code == ErrorCode.ExpansionError)
            {
            }
            catch (Exception ex)
            {
                Assert.Fail($"word {Escape(word)} threw {ex.GetType().Name}: {ex.Message}");
            }
        }
    }

    [Fact]
    public void RandomIgnoreFilesOnlyFailWithDockerfileErrors()
    {
        var random = new Random(Seed + 2);
        string[] pieces = ["*", "**", "?", "[", "]", "[a-z]", "[^x]", "\\", "!", "/", "./", "../", "a", "b.txt", "#", " ", "\n", "{", "$", "é"];
        string[] paths = ["a", "a/b", "b.txt", "a/b.txt", "x/y/z", ".", "", "é/a"];
        for (int i = 0; i < 20_000; i++)
        {
            var sb = new StringBuilder();
            for (int p = random.Next(1, 12); p > 0; p--) sb.Append(pieces[random.Next(pieces.Length)]);
            try
            {
                var ignore = DockerIgnore.Parse(sb.ToString());
                foreach (string path in paths)
                {
                    _ = ignore.IsExcluded(path);
                    _ = ignore.Excludes(path, isDirectory: true);
                }
            }
            catch (DockerfileException)
            {
            }
            catch (Exception ex)
            {
                Assert.Fail($".dockerignore {Escape(sb.ToString())} threw {ex.GetType().Name}: {ex.Message}");
            }
        }
    }

    private static List<string> LoadCorpus()
    {
        var corpus = new List<string>(BuiltInSeeds);
        foreach (string suite in new[] { "dockerfile-parse", "dockerfile-parse-negative" })
        {
            foreach (string dir in Directory.GetDirectories(ConformanceData.Path(suite)))
                corpus.Add(File.ReadAllText(Path.Combine(dir, "Dockerfile"), Encoding.UTF8));
        }
        return corpus;
    }

    private static string Mutate(Random random, string seed)
    {
        var sb = new StringBuilder(seed);
        int edits = random.Next(1, 6);
        for (int e = 0; e < edits; e++)
        {
            int at = sb.Length == 0 ? 0 : random.Next(sb.Length + 1);
            switch (random.Next(7))
            {
                case 0: // insert a fragment
                    sb.Insert(at, Fragments[random.Next(Fragments.Length)]);
                    break;
                case 1: // delete a range
                    if (sb.Length > 0)
                    {
                        int start = random.Next(sb.Length);
                        sb.Remove(start, Math.Min(sb.Length - start, random.Next(1, 20)));
                    }
                    break;
                case 2: // duplicate a range
                    if (sb.Length > 0)
                    {
                        int start = random.Next(sb.Length);
                        int length = Math.Min(sb.Length - start, random.Next(1, 80));
                        sb.Insert(at, sb.ToString(start, length));
                    }
                    break;
                case 3: // insert a random character
                    sb.Insert(at, (char)random.Next(1, 0x3000));
                    break;
                case 4: // a new instruction line
                    sb.Insert(at, "\n" + Keywords[random.Next(Keywords.Length)] + " " + Fragments[random.Next(Fragments.Length)] + "\n");
                    break;
                case 5: // truncate
                    sb.Length = at;
                    break;
                default: // a directive or comment at the top
                    sb.Insert(0, random.Next(2) == 0 ? "# escape=`\n" : "# check=skip=all\n");
                    break;
            }
        }
        return sb.ToString();
    }

    private static string Generate(Random random)
    {
        var sb = new StringBuilder();
        if (random.Next(3) == 0) sb.Append("ARG A=1 B\n");
        sb.Append("FROM ").Append(random.Next(2) == 0 ? "alpine" : "${A:-x}").Append(random.Next(3) == 0 ? " AS s" + random.Next(3) : "").Append('\n');
        for (int line = random.Next(1, 12); line > 0; line--)
        {
            sb.Append(Keywords[random.Next(Keywords.Length)]);
            for (int token = random.Next(0, 6); token > 0; token--)
                sb.Append(' ').Append(random.Next(3) == 0 ? "w" + random.Next(100) : Fragments[random.Next(Fragments.Length)]);
            sb.Append(random.Next(5) == 0 ? "\r\n" : "\n");
        }
        return sb.ToString();
    }

    private static string Escape(string text) =>
        Text.GoQuoteForTests(text);
}

/// <summary>Readable, copy-pasteable rendering of fuzz inputs in failure messages.</summary>
internal static class Text
{
    public static string GoQuoteForTests(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
        {
            sb.Append(c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' or (>= '\u007f' and <= '\u00a0') => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }
}
