using System.CommandLine;
using System.Globalization;
using Sbuild.Engine;
using Sbuild.Core;
using Sbuild.Frontend;
using Sbuild.Exporter;
using Sbuild.Parser;

namespace Sbuild.Cli;

/// <summary>The command tree. Handlers only translate flags into library calls; the work happens in the libraries.</summary>
public static class Commands
{
    private static readonly Option<string?> RootOption = new("--root")
    {
        Description = "Store directory (default: $SBUILD_ROOT, /var/lib/sbuild for root, $XDG_DATA_HOME/sbuild otherwise)",
        Recursive = true,
    };

    private static readonly Option<string[]> RegistryMirrorOption = new("--registry-mirror")
    {
        Description = "Docker Hub mirror URL to try first (repeatable; also \"registry-mirrors\" in $XDG_CONFIG_HOME/sbuild/config.json)",
        Recursive = true,
    };

    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("sbuild: build OCI images from Dockerfiles, without a daemon");
        root.Options.Add(RootOption);
        root.Options.Add(RegistryMirrorOption);
        var build = BuildCommand.Create(RootOption, RegistryMirrorOption, "build");
        // `sbuild [flags] PATH` is the same as `sbuild build [flags] PATH`.
        foreach (var option in build.Options) root.Options.Add(option);
        foreach (var argument in build.Arguments) root.Arguments.Add(argument);
        root.Action = build.Action;
        root.Subcommands.Add(build);
        root.Subcommands.Add(RegistryCommands.Pull(RootOption, RegistryMirrorOption));
        root.Subcommands.Add(RegistryCommands.Push(RootOption));
        root.Subcommands.Add(RegistryCommands.Login());
        root.Subcommands.Add(RegistryCommands.Logout());
        var image = ImageCommand();
        root.Subcommands.Add(image);
        ImageCommands.AddTo(root, image, RootOption);
        root.Subcommands.Add(SystemCommands.Create(RootOption));
        root.Subcommands.Add(ArchiveCommands.Save(RootOption));
        root.Subcommands.Add(ArchiveCommands.Load(RootOption));
        root.Subcommands.Add(DebugCommand());
        root.Subcommands.Add(DebugCommands.Logs(RootOption));
        root.Subcommands.Add(CacheCommands.DiskUsage(RootOption));
        root.Subcommands.Add(CacheCommands.Prune(RootOption));
        root.Subcommands.Add(CacheCommands.Cache(RootOption));
        root.Subcommands.Add(DoctorCommand.Doctor(RootOption));
        root.Subcommands.Add(DoctorCommand.Store(RootOption));
        return root;
    }

    private static Command ImageCommand()
    {
        var command = new Command("image", "Manage images");
        command.Subcommands.Add(ArchiveCommands.Import(RootOption));
        return command;
    }

    private static Command DebugCommand()
    {
        var command = new Command("debug", "Inspect how sbuild reads things (stable output, for tests and bug reports); enter a failed RUN (shell)");

        var file = new Argument<FileInfo>("FILE") { Description = "Dockerfile to parse" };
        var ast = new Command("ast", "Print the parsed Dockerfile AST, one (cmd ...) line per instruction") { file };
        ast.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            Console.Out.Write(AstPrinter.Print(DockerfileParser.Parse(DockerfileText.Read(path.FullName), path.FullName)));
            return 0;
        });

        var env = new Option<string[]>("--env") { Description = "A variable K=V (repeatable)", AllowMultipleArgumentsPerToken = false };
        var words = new Option<bool>("--words") { Description = "Split into words and print one per line" };
        var word = new Argument<string>("WORD") { Description = "The word to expand" };
        var expand = new Command("expand", "Expand a word as Dockerfile instructions do (escape character \\)") { env, words, word };
        expand.SetAction(parse =>
        {
            var vars = KeyValueArgs.Parse(parse.GetValue(env) ?? [], "--env");
            var lex = new ShellLex('\\');
            var text = parse.GetValue(word)!;
            if (parse.GetValue(words))
                foreach (var w in lex.ProcessWords(text, vars)) Console.Out.WriteLine(w);
            else
                Console.Out.WriteLine(lex.ProcessWord(text, vars));
            return 0;
        });

        command.Subcommands.Add(ast);
        command.Subcommands.Add(expand);
        command.Subcommands.Add(DebugCommands.Shell(RootOption));
        return command;
    }
}

/// <summary>Parses repeated K=V flag values (--build-arg, --env); a value without '=' is an error naming the flag.</summary>
public static class KeyValueArgs
{
    public static Dictionary<string, string> Parse(IEnumerable<string> values, string flag, Func<string, string?>? fallback = null)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var eq = value.IndexOf('=');
            var key = eq < 0 ? value : value[..eq];
            if (key.Length == 0 || key.Any(char.IsWhiteSpace))
                throw new SbuildException(ErrorCode.InvalidOption, $"{flag} \"{value}\": expected KEY=VALUE (or KEY to take its value from the environment)");
            if (eq < 0)
            {
                // `--build-arg NAME` takes the value from the environment, as docker build does.
                if (fallback?.Invoke(value) is { } fromEnv) result[value] = fromEnv;
                else if (fallback is null) throw new SbuildException(ErrorCode.InvalidOption, $"{flag} \"{value}\": expected KEY=VALUE");
                continue;
            }
            result[value[..eq]] = value[(eq + 1)..];
        }
        return result;
    }
}

/// <summary>SOURCE_DATE_EPOCH, read at the CLI edge only and passed down as an option.</summary>
public static class SourceDateEpoch
{
    public static DateTimeOffset? FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        if (string.IsNullOrEmpty(text)) return null;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            throw new SbuildException(ErrorCode.InvalidOption, $"SOURCE_DATE_EPOCH=\"{text}\": expected whole seconds since 1970");
        return DateTimeOffset.FromUnixTimeSeconds(seconds);
    }
}
