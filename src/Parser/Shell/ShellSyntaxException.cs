namespace Sbuild.Parser.Shell;

/// <summary>Internal signal for an expansion error; converted to SbuildException at the public boundary.</summary>
internal sealed class ShellSyntaxException(string message) : Exception(message);
