namespace Sbuild.Core;

/// <summary>Stable, documented error codes: SB1xxx parse, SB2xxx build, SB3xxx sandbox, SB4xxx store/export, SB5xxx registry, SB9xxx usage.</summary>
public enum ErrorCode
{
    DockerfileSyntax = 1001,
    DockerfileNotFound = 1002,
    UnsupportedInstruction = 1003,
    ExpansionError = 1004,

    UnknownStage = 2001,
    CopySourceNotFound = 2002,
    RunFailed = 2003,
    ContextNotFound = 2004,
    BaseImageNotFound = 2005,
    InvalidUser = 2006,
    LintFailed = 2007,
    /// <summary>No logs or kept failure of the build (or step) named: never written, or removed by prune or rotation.</summary>
    BuildRecordNotFound = 2010,

    RuntimeNotFound = 3001,
    RuntimeFailed = 3002,
    MountFailed = 3003,
    /// <summary>A RUN for another platform, and the kernel has no binfmt_misc handler (emulator) for it.</summary>
    EmulationUnavailable = 3004,

    InvalidDigest = 4001,
    DigestMismatch = 4002,
    BlobNotFound = 4003,
    InvalidReference = 4004,
    InvalidArchive = 4005,
    StoreCorrupt = 4006,
    FileSystem = 4007,
    StoreTooNew = 4008,
    MetadataUnavailable = 4009,
    StoreBusy = 4010,
    NoSpace = 4011,

    RegistryUnreachable = 5001,
    ImageNotFound = 5002,
    AuthRefused = 5003,
    RateLimited = 5004,
    RegistryError = 5005,
    PlatformNotFound = 5006,
    CredentialsUnavailable = 5007,

    InvalidOption = 9001,
}

/// <summary>The one error type shown to users: a code plus a message that already names the file, line or flag.</summary>
public class SbuildException(ErrorCode code, string message, Exception? inner = null) : Exception(message, inner)
{
    public ErrorCode Code { get; } = code;

    /// <summary>"SB1001" style identifier printed with the message.</summary>
    public string CodeText => $"SB{(int)Code:D4}";
}
