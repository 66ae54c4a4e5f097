namespace Sbuild.Frontend;

/// <summary>
/// A symbolic <c>--chmod</c> such as <c>u+x</c>, <c>go-w,a+X</c> or <c>u=rw,g=u</c>: BSD setmode's grammar and
/// meaning with a zero umask, which is what BuildKit's copy applies (its ModeStr) to every file and directory it copies.
/// Clauses are <c>[ugoa]*</c> then one or more <c>[-+=]</c> each followed by <c>[rwxXst]*</c> or one of <c>u g o</c>
/// (copy that class's bits), separated by commas. <c>X</c> gives execute only to directories and to files that already
/// have an execute bit.
/// </summary>
public sealed class SymbolicMode
{
    private const uint SetUid = 0x800, SetGid = 0x400, Sticky = 0x200;
    private const uint UserBits = 0x1C0, GroupBits = 0x38, OtherBits = 0x7;
    private const uint AllRead = 0x124, AllWrite = 0x92, AllExecute = 0x49;
    private const uint Standard = SetUid | SetGid | UserBits | GroupBits | OtherBits;

    // One step of the program: set or clear bits, add X bits, or copy a class ('u', 'g', 'o') into the classes in Copy.
    private readonly record struct Step(char Kind, uint Bits, bool CopyToUser = false, bool CopyToGroup = false, bool CopyToOther = false,
        bool CopySets = false, bool CopyClears = false);

    private readonly List<Step> _steps;

    private SymbolicMode(List<Step> steps, string text)
    {
        _steps = steps;
        Text = text;
    }

    /// <summary>The mode as written.</summary>
    public string Text { get; }

    /// <summary>Parses a symbolic mode; false when it is not one (an octal mode is not: callers try that first).</summary>
    public static bool TryParse(string text, out SymbolicMode mode)
    {
        mode = null!;
        var steps = new List<Step>();
        var s = text.AsSpan();
        var equalDone = false;
        if (s.IsEmpty || char.IsAsciiDigit(s[0])) return false;
        while (true)
        {
            uint who = 0;
            for (; !s.IsEmpty && s[0] is 'a' or 'u' or 'g' or 'o'; s = s[1..])
                who |= s[0] switch { 'a' => Standard, 'u' => SetUid | UserBits, 'g' => SetGid | GroupBits, _ => OtherBits };
            if (s.IsEmpty) return false;
            do
            {
                var op = s[0];
                s = s[1..];
                if (op is not ('+' or '-' or '=')) return false;
                if (op == '=') equalDone = false;
                who &= ~Sticky;
                uint perm = 0, permX = 0;
                for (; ; s = s[1..])
                {
                    var c = s.IsEmpty ? '\0' : s[0];
                    switch (c)
                    {
                        case 'r': perm |= AllRead; continue;
                        case 'w': perm |= AllWrite; continue;
                        case 'x': perm |= AllExecute; continue;
                        case 'X':
                            if (op == '-') perm |= AllExecute;
                            else permX = AllExecute;
                            continue;
                        case 's':
                            if (who == 0 || (who & ~OtherBits) != 0) perm |= SetUid | SetGid;
                            continue;
                        case 't':
                            if (who == 0 || (who & ~OtherBits) != 0)
                            {
                                who |= Sticky;
                                perm |= Sticky;
                            }
                            continue;
                        case 'u' or 'g' or 'o':
                            if (perm != 0) Add(steps, op, who, perm);
                            perm = 0;
                            if (op == '=') equalDone = true;
                            if (permX != 0) Add(steps, 'X', who, permX);
                            permX = 0;
                            AddCopy(steps, c, who, op);
                            continue;
                    }
                    if (perm != 0 || (op == '=' && !equalDone))
                    {
                        if (op == '=') equalDone = true;
                        Add(steps, op, who, perm);
                    }
                    if (permX != 0) Add(steps, 'X', who, permX);
                    break;
                }
            } while (!s.IsEmpty && s[0] != ',');
            if (s.IsEmpty) break;
            s = s[1..];
        }
        mode = new SymbolicMode(steps, text);
        return true;
    }

    /// <summary>The permission bits (07777) a file or directory with <paramref name="permissions"/> gets.</summary>
    public uint Apply(uint permissions, bool isDirectory)
    {
        var original = permissions & 0xFFF;
        var mode = original;
        foreach (var step in _steps)
        {
            switch (step.Kind)
            {
                case '+': mode |= step.Bits; break;
                case '-': mode &= ~step.Bits; break;
                case 'X':
                    if ((original & AllExecute) != 0 || isDirectory) mode |= step.Bits;
                    break;
                default:
                    var value = step.Kind switch { 'u' => (mode & UserBits) >> 6, 'g' => (mode & GroupBits) >> 3, _ => mode & OtherBits };
                    if (step.CopyClears)
                    {
                        var clear = step.CopySets ? OtherBits : value;
                        if (step.CopyToUser) mode &= ~((clear << 6) & step.Bits);
                        if (step.CopyToGroup) mode &= ~((clear << 3) & step.Bits);
                        if (step.CopyToOther) mode &= ~(clear & step.Bits);
                    }
                    if (step.CopySets)
                    {
                        if (step.CopyToUser) mode |= (value << 6) & step.Bits;
                        if (step.CopyToGroup) mode |= (value << 3) & step.Bits;
                        if (step.CopyToOther) mode |= value & step.Bits;
                    }
                    break;
            }
        }
        return mode & 0xFFF;
    }

    // '=' clears the classes named (all standard bits when none is) before it sets; with no class named, every bit counts.
    private static void Add(List<Step> steps, char op, uint who, uint perm)
    {
        if (op == '=')
        {
            steps.Add(new Step('-', who != 0 ? who : Standard));
            op = '+';
        }
        steps.Add(new Step(op, who != 0 ? who & perm : perm));
    }

    private static void AddCopy(List<Step> steps, char from, uint who, char op) => steps.Add(who == 0
        ? new Step(from, 0xFFFF, true, true, true, op is '+' or '=', op is '-' or '=')
        : new Step(from, 0xFFFF, (who & 0x100) != 0, (who & 0x20) != 0, (who & 0x4) != 0, op is '+' or '=', op is '-' or '='));
}
