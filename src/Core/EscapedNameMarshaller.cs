using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using System.Text;

namespace Sbuild.Core;

/// <summary>
/// Passes a path to a native call as the NUL-terminated bytes it stands for (<see cref="EscapedNames.Encode"/>), so a
/// name that is not UTF-8 reaches the kernel unchanged. Used with StringMarshalling.Custom by the P/Invokes that take
/// paths; the LibraryImport generator emits the calls at build time, so it is trim- and NativeAOT-safe.
/// </summary>
[CustomMarshaller(typeof(string), MarshalMode.ManagedToUnmanagedIn, typeof(ManagedToUnmanagedIn))]
public static unsafe class EscapedNameMarshaller
{
    /// <summary>
    /// Encodes into a buffer the generated call puts on the stack when the path fits (a walk of a big context makes
    /// one call per file: no allocation each time), else into native memory freed after the call.
    /// </summary>
    public ref struct ManagedToUnmanagedIn
    {
        public static int BufferSize => 512;

        private byte* _native;
        private bool _allocated;

        public void FromManaged(string? managed, Span<byte> buffer)
        {
            _allocated = false;
            if (managed is null)
            {
                _native = null;
                return;
            }
            byte[]? escaped = EscapedNames.HasEscapes(managed) ? EscapedNames.Encode(managed) : null;
            var length = escaped?.Length ?? (managed.Length * 3 < buffer.Length ? -1 : Encoding.UTF8.GetByteCount(managed));
            if (length < 0 || length < buffer.Length)
            {
                // The generated code's stack buffer: fixed for the duration of the call.
                _native = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(buffer));
            }
            else
            {
                _native = (byte*)NativeMemory.Alloc((nuint)length + 1);
                _allocated = true;
                buffer = new Span<byte>(_native, length + 1);
            }
            int written;
            if (escaped is null) written = Encoding.UTF8.GetBytes(managed, buffer);
            else
            {
                escaped.CopyTo(buffer);
                written = escaped.Length;
            }
            buffer[written] = 0;
        }

        public readonly byte* ToUnmanaged() => _native;

        public readonly void Free()
        {
            if (_allocated) NativeMemory.Free(_native);
        }
    }
}
