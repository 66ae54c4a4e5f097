using System.Runtime.InteropServices;
using Sbuild.Core;

namespace Sbuild.Archive.Compression.Zstd;

/// <summary>
/// The few functions of the system's libzstd (Debian's libzstd1) that sbuild's zstd streams use. The native library
/// compresses about four times faster than a managed port and runs its worker threads itself. It is loaded on first
/// use, so sbuild runs without it until a zstd layer or archive comes along, and then says what to install.
/// </summary>
internal static unsafe partial class NativeZstd
{
    private const string Library = "libzstd.so.1";

    // ZSTD_cParameter and ZSTD_EndDirective values of zstd.h (stable API since zstd 1.4.0).
    public const int CompressionLevel = 100, ChecksumFlag = 201, NbWorkers = 400;
    public const int Continue = 0, End = 2;

    [StructLayout(LayoutKind.Sequential)]
    public struct Buffer
    {
        public byte* Data;
        public nuint Size;
        public nuint Position;
    }

    [LibraryImport(Library, EntryPoint = "ZSTD_createCCtx")]
    private static partial CompressionContext CreateCCtx();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeCCtx")]
    private static partial nuint FreeCCtx(nint context);

    [LibraryImport(Library, EntryPoint = "ZSTD_CCtx_setParameter")]
    private static partial nuint CCtxSetParameter(CompressionContext context, int parameter, int value);

    [LibraryImport(Library, EntryPoint = "ZSTD_compressStream2")]
    private static partial nuint CompressStream2(CompressionContext context, Buffer* output, Buffer* input, int endDirective);

    [LibraryImport(Library, EntryPoint = "ZSTD_createDCtx")]
    private static partial DecompressionContext CreateDCtx();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeDCtx")]
    private static partial nuint FreeDCtx(nint context);

    [LibraryImport(Library, EntryPoint = "ZSTD_decompressStream")]
    private static partial nuint DecompressStream(DecompressionContext context, Buffer* output, Buffer* input);

    [LibraryImport(Library, EntryPoint = "ZSTD_isError")]
    private static partial uint IsError(nuint code);

    [LibraryImport(Library, EntryPoint = "ZSTD_getErrorName")]
    private static partial byte* GetErrorName(nuint code);

    [LibraryImport(Library, EntryPoint = "ZSTD_versionString")]
    private static partial byte* VersionString();

    /// <summary>The libzstd version in use, e.g. "1.5.4": zstd's output bytes can differ between versions.</summary>
    public static string Version => Loaded(() => Marshal.PtrToStringUTF8((nint)VersionString())!);

    /// <summary>A compression context with the given parameters (name, value) set; a value the library refuses throws.</summary>
    public static CompressionContext Compressor(params ReadOnlySpan<(int Parameter, int Value, string Name)> parameters)
    {
        var context = Loaded(CreateCCtx);
        try
        {
            if (context.IsInvalid) throw new OutOfMemoryException("ZSTD_createCCtx failed");
            foreach (var (parameter, value, name) in parameters)
            {
                var result = CCtxSetParameter(context, parameter, value);
                if (IsError(result) != 0)
                    throw new SbuildException(ErrorCode.InvalidOption, $"libzstd {Version} refused {name} {value}: {ErrorName(result)}");
            }
            return context;
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    public static DecompressionContext Decompressor()
    {
        var context = Loaded(CreateDCtx);
        if (!context.IsInvalid) return context;
        context.Dispose();
        throw new OutOfMemoryException("ZSTD_createDCtx failed");
    }

    /// <summary>ZSTD_compressStream2: what is left to flush (0 once an <see cref="End"/> is complete).</summary>
    public static nuint Compress(CompressionContext context, Buffer* output, Buffer* input, int endDirective) =>
        Check(CompressStream2(context, output, input, endDirective));

    /// <summary>ZSTD_decompressStream: 0 when a frame is complete and flushed; damaged input throws <see cref="InvalidDataException"/>.</summary>
    public static nuint Decompress(DecompressionContext context, Buffer* output, Buffer* input) =>
        Check(DecompressStream(context, output, input));

    private static nuint Check(nuint result) =>
        IsError(result) != 0 ? throw new InvalidDataException($"zstd: {ErrorName(result)}") : result;

    private static string ErrorName(nuint code) => Marshal.PtrToStringUTF8((nint)GetErrorName(code)) ?? $"error {code}";

    /// <summary>Makes a first call into the library, turning a missing libzstd into an error that says what to install.</summary>
    private static T Loaded<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new SbuildException(ErrorCode.RuntimeNotFound,
                $"zstd needs the system library {Library} (zstd 1.4 or newer), which could not be loaded: " +
                "install it (apt-get install libzstd1)", e);
        }
    }

    /// <summary>A ZSTD_CCtx, freed once.</summary>
    public sealed class CompressionContext() : SafeHandle(0, ownsHandle: true)
    {
        public override bool IsInvalid => handle == 0;
        protected override bool ReleaseHandle() => FreeCCtx(handle) == 0;
    }

    /// <summary>A ZSTD_DCtx, freed once.</summary>
    public sealed class DecompressionContext() : SafeHandle(0, ownsHandle: true)
    {
        public override bool IsInvalid => handle == 0;
        protected override bool ReleaseHandle() => FreeDCtx(handle) == 0;
    }
}
