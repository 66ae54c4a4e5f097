namespace Sbuild.Frontend.Tests;

/// <summary>
/// Symbolic <c>--chmod</c> values: BSD setmode with a zero umask, as BuildKit applies them (dchapes-mode); the expected
/// modes are what <c>chmod</c> gives for the same mode with umask 0.
/// </summary>
public sealed class SymbolicModeTests
{
    [Theory]
    [InlineData("u+x", "644", false, "744")]
    [InlineData("+x", "644", false, "755")]
    [InlineData("go-w", "666", false, "644")]
    [InlineData("a+X", "644", false, "644")]
    [InlineData("a+X", "744", false, "755")]
    [InlineData("a+X", "644", true, "755")]
    [InlineData("u=rw,g=u,o=", "777", false, "660")]
    [InlineData("u+s", "755", false, "4755")]
    [InlineData("o=u", "640", false, "646")]
    [InlineData("=r", "4777", false, "444")]
    [InlineData("g+w,o-rwx", "755", false, "770")]
    [InlineData("u=rwx,go=rx", "600", false, "755")]
    [InlineData("a=,u+r", "777", false, "400")]
    [InlineData("u=g", "750", false, "550")]
    [InlineData("go+u", "700", false, "777")]
    [InlineData("+t", "755", true, "1755")]
    [InlineData("u+r-w+x", "200", false, "500")]
    public void Applies_like_chmod_with_a_zero_umask(string text, string before, bool isDirectory, string after)
    {
        Assert.True(SymbolicMode.TryParse(text, out var mode));
        Assert.Equal(Convert.ToUInt32(after, 8), mode.Apply(Convert.ToUInt32(before, 8), isDirectory));
    }

    [Theory]
    [InlineData("")]
    [InlineData("755")]
    [InlineData("u")]
    [InlineData("x")]
    [InlineData("u+q")]
    [InlineData("u+r,")]
    [InlineData("u*r")]
    public void Rejects_what_is_not_a_symbolic_mode(string text) => Assert.False(SymbolicMode.TryParse(text, out _));
}
