namespace Sbuild.Core.Tests;

/// <summary>
/// COPY/ADD --chmod values. The symbolic cases are the umask-0 rows of the test table of dchapes-mode (the package
/// BuildKit parses them with), with "-X" as the version BuildKit v0.32.2 vendors treats it: like "-x".
/// </summary>
public sealed class ChmodSpecTests
{
    private static uint O(string octal) => Convert.ToUInt32(octal, 8);

    [Theory]
    [InlineData("0777", "0000", "=")]
    [InlineData("0777", "0777", "+")]
    [InlineData("0421", "0421", "-")]
    [InlineData("0421", "1421", "+t")]
    [InlineData("1421", "0421", "-t")]
    [InlineData("0000", "0400", "u+r")]
    [InlineData("0000", "0100", "u+x")]
    [InlineData("0000", "0000", "u+X")]
    [InlineData("0001", "0101", "u+X")]
    [InlineData("0000", "4000", "u+s")]
    [InlineData("0100", "0110", "g+X")]
    [InlineData("0000", "2000", "g+s")]
    [InlineData("0000", "0000", "o+s")] // set-id bits are ignored for "o" alone
    [InlineData("0000", "0421", "0421")]
    [InlineData("0000", "7421", "07421")]
    [InlineData("0000", "0444", "+r")]
    [InlineData("0010", "0111", "+X")]
    [InlineData("0000", "6000", "+s")]
    [InlineData("0777", "0333", "-r")]
    [InlineData("0777", "0666", "-x")]
    [InlineData("0777", "0666", "-X")]
    [InlineData("6777", "0777", "-s")]
    [InlineData("0777", "0677", "u-X")]
    [InlineData("4777", "0777", "u-s")]
    [InlineData("0777", "0677", "u=rw")]
    [InlineData("0777", "0077", "u=")]
    [InlineData("0000", "0666", "=rw")]
    [InlineData("0742", "0442", "u=g")]
    [InlineData("0722", "0022", "u=g-w")]
    [InlineData("0772", "0572", "u=g-w")]
    [InlineData("0021", "0121", "u+o")]
    [InlineData("0021", "0321", "u+go")]
    [InlineData("0777", "0764", "a=r,ug=rw,u+x")]
    [InlineData("0000", "1624", "o+r,g+w,a+t,g-s,u+og")]
    [InlineData("2100", "1724", "o+r,g+w,a+t,g-s,u+og")]
    [InlineData("0777", "0755", "go-w")]
    [InlineData("0000", "0755", "u=rwx,go=u-w")]
    [InlineData("0777", "0700", "go=")]
    [InlineData("0670", "0644", "go=u-w")]
    [InlineData("0370", "0311", "go=u-w")]
    public void Applies_to_a_file_as_dchapes_mode_does(string before, string after, string spec) =>
        Assert.Equal(O(after), ChmodSpec.Parse(spec).Apply(O(before), isDirectory: false));

    [Theory]
    [InlineData("0000", "0100", "u+X")]
    [InlineData("0000", "0111", "+X")]
    [InlineData("6000", "5624", "o+r,g+w,a+t,g-s,u+og")] // the directory row: setuid stays, setgid goes
    [InlineData("0700", "0555", "a=rX")] // as the oracle gives a directory COPY --chmod=a=rX copies (SyntaxParityTests)
    public void X_gives_directories_execute_permission(string before, string after, string spec) =>
        Assert.Equal(O(after), ChmodSpec.Parse(spec).Apply(O(before), isDirectory: true));

    [Fact]
    public void An_octal_value_replaces_the_mode_whatever_it_was()
    {
        Assert.Equal(O("0751"), ChmodSpec.Parse("751").Apply(O("4777"), isDirectory: true));
        Assert.Equal(O("0000"), ChmodSpec.Parse("000000000000000000000").Apply(O("0644"), isDirectory: false));
    }

    [Theory]
    // BuildKit's convert_copy: numbers that are no octal mode up to 07777 get its octal message, the rest "invalid syntax".
    [InlineData("17777", "invalid chmod parameter: '17777'. it should be octal string and between 0 and 07777")]
    [InlineData("99999999999999999999", "invalid chmod parameter: '99999999999999999999'. it should be octal string and between 0 and 07777")]
    [InlineData("9", "invalid chmod parameter: '9'. it should be octal string and between 0 and 07777")]
    [InlineData("0755x", "invalid chmod parameter: '0755x'. it should be octal string and between 0 and 07777")]
    [InlineData("u", "invalid --chmod=u: invalid syntax")]
    [InlineData("go", "invalid --chmod=go: invalid syntax")]
    [InlineData("q+r", "invalid --chmod=q+r: invalid syntax")]
    [InlineData(",", "invalid --chmod=,: invalid syntax")]
    [InlineData("u+x,", "invalid --chmod=u+x,: invalid syntax")]
    [InlineData("u+xz", "invalid --chmod=u+xz: invalid syntax")]
    public void Bad_values_are_refused_with_buildkits_reason(string spec, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => ChmodSpec.Parse(spec)).Message);
}
