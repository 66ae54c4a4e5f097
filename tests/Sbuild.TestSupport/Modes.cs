namespace Sbuild.TestSupport;

/// <summary>Octal file modes for readable tests: <c>Modes.Octal("4755")</c>.</summary>
public static class Modes
{
    public static UnixFileMode Octal(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);
}
