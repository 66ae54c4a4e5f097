using Sbuild.Core;
using static Sbuild.Parser.Tests.TestDockerfile;

namespace Sbuild.Parser.Tests;

public sealed class BinderTests
{
    [Fact]
    public void StagesCollectTheirInstructionsWithNamesLowerCased()
    {
        var definition = Bind("FROM alpine AS Build\nRUN make\nFROM scratch\nCOPY --from=build /out /\n");

        Assert.Equal(2, definition.Stages.Count);
        Assert.Equal("build", definition.Stages[0].Name);
        Assert.Equal("alpine", definition.Stages[0].BaseName);
        Assert.Null(definition.Stages[1].Name);
        Assert.Equal(1, definition.Stages[1].Index);
        var copy = Assert.IsType<CopyInstruction>(Assert.Single(definition.Stages[1].Instructions));
        Assert.Equal("build", copy.From);
        Assert.Equal(["/out"], copy.Sources);
        Assert.Equal("/", copy.Destination);
    }

    [Fact]
    public void WordsStayUnexpandedInInstructions()
    {
        var definition = Bind("FROM a\nENV P=/x\nWORKDIR $P/y\nRUN echo ${P}\n");

        var stage = definition.Stages[0];
        Assert.Equal("$P/y", Assert.IsType<WorkdirInstruction>(stage.Instructions[1]).Path);
        Assert.Equal(["echo ${P}"], Assert.IsType<RunInstruction>(stage.Instructions[2]).Command.Args);
        Assert.Equal(new KeyValue("P", "/x"), Assert.Single(Assert.IsType<EnvInstruction>(stage.Instructions[0]).Pairs));
    }

    [Fact]
    public void FromIsExpandedWithGlobalArgsAndBuildArgsOverrideDefaults()
    {
        string text = "ARG REG=docker.io\nARG IMAGE=${REG}/library/alpine\nARG TAG\nFROM ${IMAGE}:${TAG:-latest}\n";

        Assert.Equal("docker.io/library/alpine:latest", Bind(text).Stages[0].BaseName);

        var overridden = Bind(text, new() { ["REG"] = "example.com", ["TAG"] = "3.20" });
        Assert.Equal("example.com/library/alpine:3.20", overridden.Stages[0].BaseName);
        Assert.Equal("${IMAGE}:${TAG:-latest}", overridden.Stages[0].BaseNameAsWritten);
        Assert.Equal("example.com", overridden.GlobalArgs["REG"]);
        Assert.Equal("example.com/library/alpine", overridden.GlobalArgs["IMAGE"]);
    }

    [Fact]
    public void ArgsDeclaredInsideAStageDoNotAffectLaterFromLines()
    {
        var definition = Bind("ARG V=1\nFROM a:$V\nARG V=2\nFROM b:$V\n");

        Assert.Equal("a:1", definition.Stages[0].BaseName);
        Assert.Equal("b:1", definition.Stages[1].BaseName);
        var stageArg = Assert.IsType<ArgInstruction>(Assert.Single(definition.Stages[0].Instructions));
        Assert.Equal(new ArgDeclaration("V", "2"), Assert.Single(stageArg.Args));
    }

    [Fact]
    public void BuildArgsThatAreNotDeclaredAreNotVisibleToFrom()
    {
        var definition = Bind("FROM alpine:${TAG:-default}\n", new() { ["TAG"] = "ignored" });

        Assert.Equal("alpine:default", definition.Stages[0].BaseName);
        Assert.Contains("Dockerfile:1: UndefinedArgInFrom: FROM argument 'TAG' is not declared", definition.Warnings);
    }

    [Fact]
    public void PlatformArgsAreAvailableWithoutDeclaration()
    {
        var definition = Bind("FROM --platform=$BUILDPLATFORM golang AS build\nFROM alpine-$TARGETARCH\n",
            new() { ["BUILDPLATFORM"] = "linux/arm64", ["TARGETARCH"] = "riscv64" });

        Assert.Equal("linux/arm64", definition.Stages[0].Platform);
        Assert.Equal("alpine-riscv64", definition.Stages[1].BaseName);
        Assert.DoesNotContain(definition.Warnings, w => w.Contains("UndefinedArgInFrom"));
    }

    [Fact]
    public void EmptyBaseNameIsAnError()
    {
        var error = BindError("ARG IMG\nFROM $IMG\n");
        Assert.Contains("base name ($IMG) should not be blank", error.Message);
        Assert.Equal(2, error.Location.Line);
    }

    [Fact]
    public void ExpansionErrorInFromIsLocated()
    {
        var error = BindError("FROM ${IMG:?required}\n");

        Assert.Equal(ErrorCode.ExpansionError, error.Code);
        Assert.Contains("IMG: required", error.Message);
        Assert.Equal(new SourceLocation("Dockerfile", 1, 6, 1), error.Location);
    }

    [Fact]
    public void InstructionBeforeFromIsAnError()
    {
        var error = BindError("ARG A=1\n\nRUN echo\nFROM a\n");

        Assert.Equal(new SourceLocation("Dockerfile", 3, 1, 3), error.Location);
        Assert.Contains("RUN instruction before the first FROM", error.Message);
    }

    [Fact]
    public void OnlyArgsIsAnError()
    {
        var error = BindError("ARG A=1\n");
        Assert.Contains("no stages to build", error.Message);
    }

    [Fact]
    public void DuplicateStageNamesAreAnError()
    {
        var error = BindError("FROM a AS one\nFROM b AS two\nFROM c AS ONE\n");

        Assert.Equal(new SourceLocation("Dockerfile", 3, 6, 3), error.Location);
        Assert.Contains("duplicate stage name \"one\": already defined at line 1", error.Message);
    }

    [Theory]
    [InlineData("FROM a AS 1st", "invalid name for build stage")]
    [InlineData("FROM a AS b c", "FROM requires either one or three arguments")]
    [InlineData("FROM", "FROM requires either one or three arguments")]
    [InlineData("FROM a AS na$me", "invalid name for build stage")]
    public void InvalidFromIsRejected(string line, string message)
    {
        Assert.Contains(message, BindError(line + "\n").Message);
    }

    [Theory]
    [InlineData("RUN --foo x", 2, 5, "unknown flag: --foo")]
    [InlineData("COPY --chown a b", 2, 6, "missing a value on flag: --chown")]
    [InlineData("COPY --link=maybe a b", 2, 6, "expecting boolean value for flag --link, not: maybe")]
    [InlineData("ADD --from=x a b", 2, 5, "unknown flag: --from")]
    [InlineData("COPY --from=a --from=b x y", 2, 15, "duplicate flag specified: --from")]
    [InlineData("ENV --x a=b", 2, 5, "unknown flag: --x (this instruction takes no flags)")]
    [InlineData("RUN --network=bridge x", 2, 5, "invalid network mode \"bridge\"")]
    [InlineData("  WORKDIR", 2, 3, "WORKDIR requires exactly one argument")]
    [InlineData("USER", 2, 1, "USER requires exactly one argument")]
    [InlineData("COPY onlyone", 2, 1, "COPY requires at least two arguments")]
    [InlineData("EXPOSE", 2, 1, "EXPOSE requires at least one argument")]
    [InlineData("SHELL /bin/sh -c", 2, 7, "SHELL requires the arguments to be in JSON form")]
    [InlineData("ONBUILD ONBUILD RUN x", 2, 9, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")]
    [InlineData("ONBUILD FROM x", 2, 9, "FROM isn't allowed as an ONBUILD trigger")]
    [InlineData("HEALTHCHECK NONE x", 2, 13, "HEALTHCHECK NONE takes no arguments")]
    [InlineData("HEALTHCHECK CMD", 2, 13, "Missing command after HEALTHCHECK CMD")]
    [InlineData("HEALTHCHECK PING x", 2, 13, "Unknown type \"PING\" in HEALTHCHECK (try CMD)")]
    [InlineData("HEALTHCHECK --retries=-1 CMD x", 2, 13, "--retries cannot be negative (-1)")]
    [InlineData("HEALTHCHECK --timeout=10 CMD x", 2, 13, "missing unit in duration \"10\"")]
    [InlineData("HEALTHCHECK --interval=5x CMD x", 2, 13, "unknown unit \"x\" in duration \"5x\"")]
    [InlineData("HEALTHCHECK --interval=100us CMD x", 2, 13, "Interval \"interval\" cannot be less than 1ms")]
    [InlineData("LABEL =x", 2, 7, "LABEL names can not be blank")]
    [InlineData("ARG =x", 2, 5, "ARG names can not be blank")]
    [InlineData("VOLUME [\"\"]", 2, 8, "VOLUME specified can not be an empty string")]
    public void InvalidInstructionIsRejectedAtTheRightPlace(string line, int errorLine, int column, string message)
    {
        var error = BindError("FROM a\n" + line + "\n");

        Assert.Equal(ErrorCode.DockerfileSyntax, error.Code);
        Assert.Contains(message, error.Message);
        Assert.Equal(errorLine, error.Location.Line);
        Assert.Equal(column, error.Location.Column);
        Assert.Contains($"{errorLine,5} | ", error.Message);
    }

    [Fact]
    public void FlagErrorOnContinuationLinePointsThere()
    {
        var error = BindError("FROM a\nCOPY --link \\\n     --frm=b x y\n");

        Assert.Equal(new SourceLocation("Dockerfile", 3, 6, 3), error.Location);
        Assert.Contains("unknown flag: --frm (did you mean --from?)", error.Message);
        Assert.Contains("    3 |      --frm=b x y", error.Message);
    }

    [Fact]
    public void RunFlagsAreCollected()
    {
        var run = Single<RunInstruction>(Bind(
            "FROM a\nRUN --mount=type=cache,target=/c --mount=type=secret,id=s --network=none --security=insecure make\n"));

        Assert.Equal(["type=cache,target=/c", "type=secret,id=s"], run.Mounts);
        Assert.Equal("none", run.Network);
        Assert.Equal("insecure", run.Security);
        Assert.Equal(new CommandLine(run.Command.Args, true), run.Command);
        Assert.Equal(["make"], run.Command.Args);
    }

    [Fact]
    public void CopyAndAddFlagsAreCollected()
    {
        var definition = Bind("FROM a\nCOPY --link --parents --exclude=*.md --exclude=tmp --chmod=644 a b /d/\n" +
                              "ADD --checksum=sha256:abc --keep-git-dir=false --unpack https://x/y.tgz /z\n");

        var copy = Assert.IsType<CopyInstruction>(definition.Stages[0].Instructions[0]);
        Assert.True(copy.Link);
        Assert.True(copy.Parents);
        Assert.Equal(["*.md", "tmp"], copy.Excludes);
        Assert.Equal("644", copy.Chmod);
        Assert.Equal(["a", "b"], copy.Sources);
        Assert.False(copy.IsAdd);

        var add = Assert.IsType<CopyInstruction>(definition.Stages[0].Instructions[1]);
        Assert.True(add.IsAdd);
        Assert.Equal("sha256:abc", add.Checksum);
        Assert.False(add.KeepGitDir);
        Assert.True(add.Unpack);
        Assert.Null(add.From);
    }

    [Fact]
    public void ExecAndShellFormCommands()
    {
        var stage = Bind("FROM a\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\nENTRYPOINT exec server --port 80\nSHELL [\"/bin/bash\", \"-c\"]\n").Stages[0];

        Assert.Equal(new CommandLine(["nginx", "-g", "daemon off;"], false).Args, Assert.IsType<CmdInstruction>(stage.Instructions[0]).Command.Args);
        Assert.False(Assert.IsType<CmdInstruction>(stage.Instructions[0]).Command.PrependShell);
        var entrypoint = Assert.IsType<EntrypointInstruction>(stage.Instructions[1]);
        Assert.True(entrypoint.Command.PrependShell);
        Assert.Equal(["exec server --port 80"], entrypoint.Command.Args);
        Assert.Equal(["/bin/bash", "-c"], Assert.IsType<ShellInstruction>(stage.Instructions[2]).Shell);
    }

    [Fact]
    public void HealthcheckDurationsAreNanoseconds()
    {
        var health = Single<HealthcheckInstruction>(Bind(
            "FROM a\nHEALTHCHECK --interval=1m30s --timeout=1.5s --start-period=250ms --start-interval=2h --retries=4 CMD curl -f http://x/\n")).Health;

        Assert.Equal(["CMD-SHELL", "curl -f http://x/"], health.Test);
        Assert.Equal(90L * 1_000_000_000, health.Interval);
        Assert.Equal(1_500_000_000L, health.Timeout);
        Assert.Equal(250_000_000L, health.StartPeriod);
        Assert.Equal(2L * 3600 * 1_000_000_000, health.StartInterval);
        Assert.Equal(4, health.Retries);
    }

    [Fact]
    public void HealthcheckNoneAndExecForm()
    {
        var stage = Bind("FROM a\nHEALTHCHECK none\nHEALTHCHECK --interval=0s CMD [\"/check\", \"-q\"]\n").Stages[0];

        Assert.Equal(["NONE"], Assert.IsType<HealthcheckInstruction>(stage.Instructions[0]).Health.Test);
        var exec = Assert.IsType<HealthcheckInstruction>(stage.Instructions[1]).Health;
        Assert.Equal(["CMD", "/check", "-q"], exec.Test);
        Assert.Null(exec.Interval); // zero means "default"
    }

    [Fact]
    public void OnbuildTriggerIsTheInstructionText()
    {
        var onbuild = Single<OnbuildInstruction>(Bind("FROM a\nonbuild   COPY . /app\n"));
        Assert.Equal("COPY . /app", onbuild.Trigger);
    }

    [Fact]
    public void OnbuildTriggerIsValidated()
    {
        var error = BindError("FROM a\nONBUILD COPY --bogus . /app\n");
        Assert.Contains("unknown flag: --bogus", error.Message);
    }

    [Fact]
    public void ArgAndLabelValuesAreRaw()
    {
        var stage = Bind("FROM a\nARG A B=\"x y\" C=\nLABEL org.x=\"a b\" y=z\n").Stages[0];

        var arg = Assert.IsType<ArgInstruction>(stage.Instructions[0]);
        Assert.Equal([new ArgDeclaration("A", null), new ArgDeclaration("B", "\"x y\""), new ArgDeclaration("C", "")], arg.Args);
        var label = Assert.IsType<LabelInstruction>(stage.Instructions[1]);
        Assert.Equal([new KeyValue("org.x", "\"a b\""), new KeyValue("y", "z")], label.Pairs);
    }

    [Fact]
    public void EscapeTokenIsPassedOn()
    {
        Assert.Equal('`', Bind("# escape=`\nFROM a\n").EscapeToken);
    }

    [Fact]
    public void LintWarningsNameFileLineAndRule()
    {
        var warnings = Bind(
            "FROM alpine as Build\n" +
            "MAINTAINER me\n" +
            "ENV key value\n" +
            "CMD echo one\n" +
            "CMD [\"two\"]\n" +
            "EXPOSE 80/TCP 127.0.0.1:8080:80\n" +
            "ARG GITHUB_TOKEN\n" +
            "WORKDIR app\n" +
            "FROM --platform=linux/arm64 scratch AS context\n" +
            "run true\n").Warnings;

        Assert.Contains("Dockerfile:1: StageNameCasing: Stage name 'Build' should be lowercase", warnings);
        Assert.Contains("Dockerfile:1: FromAsCasing: 'as' and 'FROM' keywords' casing do not match", warnings);
        Assert.Contains("Dockerfile:2: MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label", warnings);
        Assert.Contains("Dockerfile:3: LegacyKeyValueFormat: \"ENV key=value\" should be used instead of legacy \"ENV key value\" format", warnings);
        Assert.Contains("Dockerfile:4: JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals", warnings);
        Assert.Contains("Dockerfile:4: MultipleInstructionsDisallowed: Multiple CMD instructions should not be used in the same stage because only the last one will be used", warnings);
        Assert.Contains("Dockerfile:6: ExposeProtoCasing: Defined protocol '80/TCP' in EXPOSE instruction should be lowercase", warnings);
        Assert.Contains("Dockerfile:6: ExposeInvalidFormat: EXPOSE instruction should not define an IP address or host-port mapping, found '127.0.0.1:8080:80'", warnings);
        Assert.Contains("Dockerfile:7: SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ARG \"GITHUB_TOKEN\")", warnings);
        Assert.Contains("Dockerfile:8: WorkdirRelativePath: Relative workdir \"app\" can have unexpected results if the base image changes", warnings);
        Assert.Contains("Dockerfile:9: ReservedStageName: Stage name should not use the same name as reserved stage \"context\"", warnings);
        Assert.Contains("Dockerfile:9: FromPlatformFlagConstDisallowed: FROM --platform flag should not use constant value \"linux/arm64\"", warnings);
        Assert.Contains("Dockerfile:10: ConsistentInstructionCasing: Command 'run' should match the case of the command majority (uppercase)", warnings);
        Assert.DoesNotContain(warnings, w => w.StartsWith("Dockerfile:5: JSONArgsRecommended", StringComparison.Ordinal));
    }

    [Fact]
    public void CleanDockerfileHasNoWarnings()
    {
        var definition = Bind("FROM alpine:3.20 AS build\nWORKDIR /src\nCOPY . .\nRUN make\nFROM scratch\nCOPY --from=build /src/app /app\nENTRYPOINT [\"/app\"]\n");
        Assert.Empty(definition.Warnings);
    }
}
