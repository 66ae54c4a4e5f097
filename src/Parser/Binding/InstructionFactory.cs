using System.Text;
using System.Text.RegularExpressions;
using Sbuild.Core;
using Sbuild.Parser.Parsing;

namespace Sbuild.Parser.Binding;

/// <summary>The FROM line of a stage, before global ARG expansion.</summary>
internal sealed record StageHeader(AstNode Node, string BaseName, string? Name, string? WrittenName, string? Platform);

/// <summary>
/// Gives meaning to one AST node: checks flags and argument counts the way BuildKit's instruction parser does and
/// builds the typed <see cref="Instruction"/>. Words stay unexpanded.
/// </summary>
internal sealed partial class InstructionFactory(BindErrors errors)
{
    public StageHeader CreateFrom(AstNode node)
    {
        var args = node.Args;
        string? name = null, written = null;
        if (args.Count == 3 && args[1].Equals("as", StringComparison.OrdinalIgnoreCase))
        {
            written = args[2];
            name = args[2].ToLowerInvariant();
            if (!StageNamePattern().IsMatch(name))
                throw errors.AtArgs(node, $"invalid name for build stage: {Text.GoQuote.Quote(args[2])}, name can't start with a number or contain symbols");
        }
        else if (args.Count != 1)
        {
            throw errors.AtArgs(node, "FROM requires either one or three arguments (FROM image [AS name])");
        }
        var flags = ParseFlags(node, new FlagSet().String("platform"));
        string? platform = flags.GetString("platform");
        return new StageHeader(node, args[0], name, written, string.IsNullOrEmpty(platform) ? null : platform);
    }

    public Instruction Create(AstNode node) => node.Keyword switch
    {
        "run" => Run(node),
        "cmd" => new CmdInstruction(node.Location, node.Original, CommandWithoutFlags(node)),
        "entrypoint" => new EntrypointInstruction(node.Location, node.Original, CommandWithoutFlags(node)),
        "shell" => Shell(node),
        "env" => new EnvInstruction(node.Location, node.Original, KeyValues(node, "ENV")),
        "label" => new LabelInstruction(node.Location, node.Original, KeyValues(node, "LABEL")),
        "maintainer" => new MaintainerInstruction(node.Location, node.Original, ExactlyOne(node, "MAINTAINER")),
        "expose" => new ExposeInstruction(node.Location, node.Original, AtLeastOne(node, "EXPOSE")),
        "add" => Copy(node, isAdd: true),
        "copy" => Copy(node, isAdd: false),
        "volume" => Volume(node),
        "user" => new UserInstruction(node.Location, node.Original, ExactlyOne(node, "USER")),
        "workdir" => new WorkdirInstruction(node.Location, node.Original, ExactlyOne(node, "WORKDIR")),
        "arg" => Arg(node),
        "onbuild" => Onbuild(node),
        // BuildKit does not check STOPSIGNAL flags at all; we do the same.
        "stopsignal" => new StopSignalInstruction(node.Location, node.Original, ExactlyOne(node, "STOPSIGNAL", checkFlags: false)),
        "healthcheck" => Healthcheck(node),
        "from" => throw errors.At(node, "FROM starts a new stage and is not an instruction inside one"),
        _ => throw errors.Error(node.Location, $"unknown instruction: {node.Keyword.ToUpperInvariant()}", ErrorCode.UnsupportedInstruction),
    };

    private FlagSet ParseFlags(AstNode node, FlagSet flags) =>
        flags.Parse(node.Flags, (index, message) => errors.AtFlag(node, index, message));

    private CommandLine CommandWithoutFlags(AstNode node)
    {
        ParseFlags(node, new FlagSet());
        return Command(node);
    }

    /// <summary>Exec form keeps the items; shell form is one string.</summary>
    private static CommandLine Command(AstNode node)
    {
        if (node.IsJson) return new CommandLine(node.Args, PrependShell: false);
        return new CommandLine(node.Args.Count == 0 ? [] : [string.Join(' ', node.Args)], PrependShell: true);
    }

    private RunInstruction Run(AstNode node)
    {
        var flags = ParseFlags(node, new FlagSet().Strings("mount").String("network").String("security").Strings("device"));
        string network = flags.GetString("network") ?? "default";
        if (network is not ("default" or "none" or "host"))
            throw errors.AtFlag(node, IndexOfFlag(node, "network"), $"invalid network mode {Text.GoQuote.Quote(network)} (use default, none or host)");
        string security = flags.GetString("security") ?? "sandbox";
        if (security is not ("sandbox" or "insecure"))
            throw errors.AtFlag(node, IndexOfFlag(node, "security"), $"security {Text.GoQuote.Quote(security)} is not valid (use sandbox or insecure)");

        var command = Command(node);
        if (command.Args.Count == 0 && !node.IsJson) throw errors.At(node, "RUN requires at least one argument");
        var heredocs = node.Heredocs.Select(h => h with { Content = h.Chomp ? ChompTabs(h.Content) : h.Content }).ToList();
        return new RunInstruction(node.Location, node.Original, command, heredocs)
        {
            Mounts = flags.GetStrings("mount"),
            Network = network,
            Security = security,
            Devices = flags.GetStrings("device"),
        };
    }

    private ShellInstruction Shell(AstNode node)
    {
        ParseFlags(node, new FlagSet());
        if (node.Args.Count == 0) throw errors.At(node, "SHELL requires at least one argument");
        if (!node.IsJson) throw errors.AtArgs(node, "SHELL requires the arguments to be in JSON form, e.g. SHELL [\"/bin/sh\", \"-c\"]");
        return new ShellInstruction(node.Location, node.Original, node.Args);
    }

    private List<KeyValue> KeyValues(AstNode node, string instruction)
    {
        ParseFlags(node, new FlagSet());
        var args = node.Args;
        if (args.Count == 0) throw errors.At(node, $"{instruction} requires at least one argument");
        if (args.Count % 3 != 0) throw errors.AtArgs(node, $"Bad input to {instruction}, too many arguments");
        var pairs = new List<KeyValue>(args.Count / 3);
        for (int i = 0; i < args.Count; i += 3)
        {
            if (args[i].Length == 0) throw errors.AtArgs(node, $"{instruction} names can not be blank");
            pairs.Add(new KeyValue(args[i], args[i + 1]));
        }
        return pairs;
    }

    private string ExactlyOne(AstNode node, string instruction, bool checkFlags = true)
    {
        if (node.Args.Count != 1) throw errors.At(node, $"{instruction} requires exactly one argument");
        if (checkFlags) ParseFlags(node, new FlagSet());
        return node.Args[0];
    }

    private IReadOnlyList<string> AtLeastOne(AstNode node, string instruction)
    {
        if (node.Args.Count == 0) throw errors.At(node, $"{instruction} requires at least one argument");
        ParseFlags(node, new FlagSet());
        return node.Args;
    }

    private VolumeInstruction Volume(AstNode node)
    {
        AtLeastOne(node, "VOLUME");
        var paths = new List<string>(node.Args.Count);
        foreach (string raw in node.Args)
        {
            string path = raw.Trim();
            if (path.Length == 0) throw errors.AtArgs(node, "VOLUME specified can not be an empty string");
            paths.Add(path);
        }
        return new VolumeInstruction(node.Location, node.Original, paths);
    }

    private CopyInstruction Copy(AstNode node, bool isAdd)
    {
        string name = isAdd ? "ADD" : "COPY";
        if (node.Args.Count < 2)
            throw errors.At(node, $"{name} requires at least two arguments, but only one was provided. Destination could not be determined");

        var declared = new FlagSet().String("chown").String("chmod").Bool("link").Strings("exclude");
        if (isAdd) declared.Bool("keep-git-dir").String("checksum").Bool("unpack");
        else declared.String("from").Bool("parents");
        var flags = ParseFlags(node, declared);

        string destination = node.Args[^1];
        if (HeredocOrNull(destination) is not null) throw errors.AtArgs(node, $"{name} cannot accept a heredoc as a destination");

        var bodies = new Dictionary<string, Heredoc>(StringComparer.Ordinal);
        foreach (var h in node.Heredocs) bodies[h.Name] = h;
        var sources = new List<string>();
        var heredocs = new List<Heredoc>();
        foreach (string source in node.Args.Take(node.Args.Count - 1))
        {
            if (HeredocOrNull(source) is { } marker)
            {
                string content = bodies.TryGetValue(marker.Name, out var body) ? body.Content : "";
                if (marker.Chomp) content = ChompTabs(content);
                heredocs.Add(new Heredoc(marker.Name, content, marker.Expand, marker.Chomp));
            }
            else
            {
                sources.Add(source);
            }
        }

        return new CopyInstruction(node.Location, node.Original, isAdd, sources, destination,
            flags.GetString("from") is { Length: > 0 } from ? from : null,
            flags.GetString("chown") is { Length: > 0 } chown ? chown : null,
            flags.GetString("chmod") is { Length: > 0 } chmod ? chmod : null,
            flags.GetBool("link"), heredocs)
        {
            Excludes = flags.GetStrings("exclude"),
            Parents = flags.GetBool("parents"),
            Checksum = flags.GetString("checksum") is { Length: > 0 } checksum ? checksum : null,
            KeepGitDir = flags.GetOptionalBool("keep-git-dir"),
            Unpack = flags.GetOptionalBool("unpack"),
        };
    }

    private static HeredocMarker? HeredocOrNull(string word)
    {
        try
        {
            return HeredocMarkers.ParseWord(word);
        }
        catch (SbuildException)
        {
            return null; // like BuildKit's MustParseHeredoc: not a usable heredoc, so a plain path
        }
    }

    private ArgInstruction Arg(AstNode node)
    {
        // BuildKit does not check ARG flags; neither do we.
        if (node.Args.Count == 0) throw errors.At(node, "ARG requires at least one argument");
        var declarations = new List<ArgDeclaration>(node.Args.Count);
        foreach (string word in node.Args)
        {
            int eq = word.IndexOf('=');
            if (eq == 0) throw errors.AtArgs(node, "ARG names can not be blank");
            declarations.Add(eq < 0 ? new ArgDeclaration(word, null) : new ArgDeclaration(word[..eq], word[(eq + 1)..]));
        }
        return new ArgInstruction(node.Location, node.Original, declarations);
    }

    private OnbuildInstruction Onbuild(AstNode node)
    {
        if (node.Inner is null) throw errors.At(node, "ONBUILD requires at least one argument");
        ParseFlags(node, new FlagSet());
        string trigger = node.Inner.Keyword.ToUpperInvariant();
        switch (trigger)
        {
            case "ONBUILD":
                throw errors.AtArgs(node, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
            case "MAINTAINER" or "FROM":
                throw errors.AtArgs(node, $"{trigger} isn't allowed as an ONBUILD trigger");
        }
        // Validate the trigger now so mistakes surface in this build, not in a child build.
        Create(node.Inner with { Heredocs = node.Heredocs });

        var expression = new StringBuilder(OnbuildPrefix().Replace(node.Original, "", 1));
        foreach (var heredoc in node.Heredocs)
            expression.Append('\n').Append(heredoc.Content).Append(heredoc.Name);
        return new OnbuildInstruction(node.Location, node.Original, expression.ToString());
    }

    private HealthcheckInstruction Healthcheck(AstNode node)
    {
        if (node.Args.Count == 0) throw errors.At(node, "HEALTHCHECK requires at least one argument");
        string type = node.Args[0].ToUpperInvariant();
        var rest = node.Args.Skip(1).ToList();
        if (type == "NONE")
        {
            if (rest.Count != 0) throw errors.AtArgs(node, "HEALTHCHECK NONE takes no arguments");
            return new HealthcheckInstruction(node.Location, node.Original, new HealthConfig { Test = ["NONE"] });
        }

        var flags = ParseFlags(node, new FlagSet()
            .String("interval").String("timeout").String("start-period").String("start-interval").String("retries"));
        if (type != "CMD") throw errors.AtArgs(node, $"Unknown type \"{node.Args[0]}\" in HEALTHCHECK (try CMD)");
        if (rest.Count == 0) throw errors.AtArgs(node, "Missing command after HEALTHCHECK CMD");
        List<string> test = node.IsJson ? ["CMD", .. rest] : ["CMD-SHELL", string.Join(' ', rest)];

        int? retries = null;
        if (flags.GetString("retries") is { } retriesText)
        {
            if (!int.TryParse(retriesText, System.Globalization.NumberStyles.AllowLeadingSign,
                    System.Globalization.CultureInfo.InvariantCulture, out int parsed))
                throw errors.AtFlag(node, IndexOfFlag(node, "retries"), $"invalid --retries value {Text.GoQuote.Quote(retriesText)}: not a 32-bit integer");
            if (parsed < 0) throw errors.AtFlag(node, IndexOfFlag(node, "retries"), $"--retries cannot be negative ({parsed})");
            retries = parsed == 0 ? null : parsed;
        }

        return new HealthcheckInstruction(node.Location, node.Original, new HealthConfig
        {
            Test = test,
            Interval = Interval(node, flags, "interval"),
            Timeout = Interval(node, flags, "timeout"),
            StartPeriod = Interval(node, flags, "start-period"),
            StartInterval = Interval(node, flags, "start-interval"),
            Retries = retries,
        });
    }

    /// <summary>A duration flag in nanoseconds; null when absent or zero; below 1ms is an error.</summary>
    private long? Interval(AstNode node, FlagSet flags, string name)
    {
        string? text = flags.GetString(name);
        if (string.IsNullOrEmpty(text)) return null;
        var (nanoseconds, error) = GoDuration.Parse(text);
        if (error is not null) throw errors.AtFlag(node, IndexOfFlag(node, name), $"--{name}: {error}");
        if (nanoseconds == 0) return null;
        if (nanoseconds < 1_000_000) throw errors.AtFlag(node, IndexOfFlag(node, name), $"Interval \"{name}\" cannot be less than 1ms");
        return nanoseconds;
    }

    internal static int IndexOfFlag(AstNode node, string name)
    {
        for (int i = node.Flags.Count - 1; i >= 0; i--)
        {
            string flag = node.Flags[i];
            if (flag == "--" + name || flag.StartsWith("--" + name + "=", StringComparison.Ordinal)) return i;
        }
        return -1;
    }

    /// <summary>Removes leading tabs from every line (<c>&lt;&lt;-EOF</c>).</summary>
    internal static string ChompTabs(string content)
    {
        var sb = new StringBuilder(content.Length);
        bool lineStart = true;
        foreach (char c in content)
        {
            if (lineStart && c == '\t') continue;
            lineStart = c == '\n';
            sb.Append(c);
        }
        return sb.ToString();
    }

    [GeneratedRegex(@"^[a-z][a-z0-9_.-]*\z")]
    private static partial Regex StageNamePattern();

    // Go's \s is ASCII-only (no \v), hence the explicit class.
    [GeneratedRegex(@"^[\t\n\f\r ]*ONBUILD[\t\n\f\r ]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OnbuildPrefix();
}
