using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;

namespace Sbuild.Core;

/// <summary>
/// Passes a path to a native call as the NUL-terminated bytes it stands for (<see cref="EscapedNames.Encode"/>), so a
/// name that is not UTF-8 reaches the kernel unchanged. Used with StringMarshalling.Custom by the P/Invokes that take
/// paths; the LibraryImport generator emits the calls at build time, so it is trim- and NativeAOT-safe.
/// </summary>
[CustomMarshaller(typeof(string), MarshalMode.ManagedToUnmanagedIn, typeof(EscapedNameMarshaller))]
public static unsafe class EscapedNameMarshaller
{
    public static byte* ConvertToUnmanaged(string? managed)
    {
        if (managed is null) return null;
        var bytes = EscapedNames.Encode(managed);
        var native = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
        bytes.CopyTo(new Span<byte>(native, bytes.Length));
        native[bytes.Length] = 0;
        return native;
    }

    public static void Free(byte* unmanaged) => NativeMemory.Free(unmanaged);
}
