namespace Sbuild.Core;

/// <summary>
/// A COPY/ADD <c>--chmod</c> value as BuildKit reads it. An octal number (at most 07777) replaces each copied entry's
/// permission bits. Anything else is a symbolic mode of chmod(1) — comma-separated clauses <c>[ugoa]*[+-=][rwxXst]*</c>
/// or <c>[+-=][ugo]</c>, e.g. <c>u+x</c>, <c>go-w</c>, <c>a=rX</c>, <c>u=rwx,go=u-w</c> — applied to each entry's own
/// mode: this is BSD's setmode as BuildKit's dchapes-mode package ports it, with umask 0 (so <c>+w</c> means
/// <c>a+w</c>), <c>X</c> adding execute only to directories and to entries some execute bit is set on, and
/// <c>s</c>/<c>t</c> ignored for clauses that name only "o".
/// </summary>
public sealed class ChmodSpec
{
    private const uint SetUid = 0x800, SetGid = 0x400, Sticky = 0x200;
    private const uint UserBits = 0x1C0, GroupBits = 0x38, OtherBits = 0x7;
    private const uint UserRead = 0x100, GroupRead = 0x20, OtherRead = 0x4;
    private const uint Read = UserRead | GroupRead | OtherRead, Write = 0x92, Execute = 0x49;
    /// <summary>What "=" with no "who" clears: everything but the sticky bit (setmode's STANDARD_BITS).</summary>
    private const uint StandardBits = SetUid | SetGid | UserBits | GroupBits | OtherBits;
    /// <summary>setmode's mask with umask 0: every bit.</summary>
    private const uint AllBits = 0xFFFF;

    /// <summary>
    /// One of setmode's bit commands: '+' sets <see cref="Bits"/>, '-' clears them, 'X' sets them for directories and
    /// executables, 'u'/'g'/'o' copy that class's bits (as they are at that point) to the classes in
    /// <see cref="To"/>, clearing first (<see cref="Clear"/>) and/or setting (<see cref="Set"/>).
    /// </summary>
    private readonly record struct Command(char Op, uint Bits, bool Clear = false, bool Set = false, uint To = 0);

    private readonly uint? _octal;
    private readonly IReadOnlyList<Command> _commands;

    private ChmodSpec(uint? octal, IReadOnlyList<Command> commands)
    {
        _octal = octal;
        _commands = commands;
    }

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> with BuildKit's reason.</summary>
    public static ChmodSpec Parse(string text)
    {
        if (text.Length > 0 && text.All(c => c is >= '0' and <= '7'))
        {
            // strconv.ParseUint(text, 8, 32), then at most 07777.
            var digits = text.TrimStart('0');
            var value = digits.Length == 0 ? 0 : digits.Length > 11 ? ulong.MaxValue : Convert.ToUInt64(digits, 8);
            return value <= 0xFFF ? new ChmodSpec((uint)value, []) : throw NotOctal(text);
        }
        // A value that starts like a number but is none is reported as a bad octal one, as BuildKit does.
        if (text.Length > 0 && char.IsAsciiDigit(text[0])) throw NotOctal(text);
        return new ChmodSpec(null, ParseSymbolic(text) ?? throw new FormatException($"invalid --chmod={text}: invalid syntax"));
    }

    /// <summary>The mode (permission bits with setuid, setgid and sticky) an entry of mode <paramref name="mode"/> gets.</summary>
    public uint Apply(uint mode, bool isDirectory)
    {
        if (_octal is { } octal) return octal;
        var original = mode & 0xFFF;
        var result = original;
        foreach (var c in _commands)
        {
            switch (c.Op)
            {
                case '+': result |= c.Bits; break;
                case '-': result &= ~c.Bits; break;
                case 'X':
                    if ((original & Execute) != 0 || isDirectory) result |= c.Bits;
                    break;
                default:
                    var value = c.Op switch { 'u' => (result & UserBits) >> 6, 'g' => (result & GroupBits) >> 3, _ => result & OtherBits };
                    var cleared = c.Set ? OtherBits : value; // "=" clears the whole class, "-" the copied bits
                    foreach (var shift in Shifts(c.To))
                    {
                        if (c.Clear) result &= ~((cleared << shift) & c.Bits);
                        if (c.Set) result |= (value << shift) & c.Bits;
                    }
                    break;
            }
        }
        return result & 0xFFF;
    }

    private static FormatException NotOctal(string text) =>
        new($"invalid chmod parameter: '{text}'. it should be octal string and between 0 and 07777");

    /// <summary>The shifts of the classes a copy command writes (marked by their read bit): user 6, group 3, other 0.</summary>
    private static IEnumerable<int> Shifts(uint to)
    {
        if ((to & UserRead) != 0) yield return 6;
        if ((to & GroupRead) != 0) yield return 3;
        if ((to & OtherRead) != 0) yield return 0;
    }

    /// <summary>setmode's parser, clause by clause; null for a syntax error.</summary>
    private static List<Command>? ParseSymbolic(string s)
    {
        var commands = new List<Command>();
        var i = 0;
        while (true)
        {
            uint who = 0;
            for (; ; i++)
            {
                if (i == s.Length) return null;
                var w = s[i] switch { 'a' => StandardBits, 'u' => SetUid | UserBits, 'g' => SetGid | GroupBits, 'o' => OtherBits, _ => 0u };
                if (w == 0) break;
                who |= w;
            }
            // One or more operations for this "who": u+r-w.
            do
            {
                var op = s[i++];
                if (op is not ('+' or '-' or '=')) return null;
                var equalDone = false;
                who &= ~Sticky;
                uint perm = 0, permX = 0;
                for (; ; i++)
                {
                    var b = i < s.Length ? s[i] : '\0';
                    var onlyOther = who != 0 && (who & ~OtherBits) == 0;
                    switch (b)
                    {
                        case 'r': perm |= Read; continue;
                        case 'w': perm |= Write; continue;
                        case 'x': perm |= Execute; continue;
                        case 's':
                            if (!onlyOther) perm |= SetUid | SetGid;
                            continue;
                        case 't':
                            if (!onlyOther)
                            {
                                who |= Sticky;
                                perm |= Sticky;
                            }
                            continue;
                        case 'X':
                            if (op != '-') permX = Execute;
                            else perm |= Execute;
                            continue;
                        case 'u' or 'g' or 'o':
                            if (perm != 0)
                            {
                                Add(commands, op, who, perm);
                                perm = 0;
                            }
                            if (op == '=') equalDone = true;
                            if (permX != 0)
                            {
                                Add(commands, 'X', who, permX);
                                permX = 0;
                            }
                            AddCopy(commands, b, who, op);
                            continue;
                    }
                    if (perm != 0 || (op == '=' && !equalDone)) Add(commands, op, who, perm);
                    if (permX != 0) Add(commands, 'X', who, permX);
                    break;
                }
            } while (i < s.Length && s[i] != ',');
            if (i == s.Length) return commands;
            i++; // the comma; a clause must follow
        }
    }

    private static void Add(List<Command> commands, char op, uint who, uint perm)
    {
        if (op == '=')
        {
            commands.Add(new Command('-', who != 0 ? who : StandardBits));
            op = '+';
        }
        commands.Add(new Command(op, (who != 0 ? who : AllBits) & perm));
    }

    private static void AddCopy(List<Command> commands, char from, uint who, char op)
    {
        // With a "who", the classes it names are written (setmode marks each by its read bit; any bit, even setuid,
        // passes the mask); without one, every class is.
        var to = who != 0 ? who & Read : Read;
        commands.Add(new Command(from, AllBits, Clear: op is '-' or '=', Set: op is '+' or '=', To: to));
    }
}
