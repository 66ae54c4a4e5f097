using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace Sbuild.Core;

/// <summary>
/// SHA-256 that keeps small inputs out of OpenSSL. .NET's SHA-256 on Linux is OpenSSL's, and the first use loads
/// libssl and libcrypto and reads openssl.cnf: about 7 ms of a no-op rebuild, which hashes only a few small documents
/// (cache keys, a context of a few files). Inputs up to <see cref="ManagedLimit"/> bytes are hashed here, in managed
/// code (FIPS 180-4); larger ones go to OpenSSL, which is several times faster per byte.
/// </summary>
public sealed class Sha256 : IDisposable
{
    /// <summary>The largest input hashed in managed code.</summary>
    public const int ManagedLimit = 256 * 1024;

    private static readonly uint[] K =
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];

    private readonly IncrementalHash? _openSsl;
    private readonly uint[] _state = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    private readonly byte[] _block = new byte[64];
    private int _buffered;
    private long _length;

    private Sha256(bool openSsl) => _openSsl = openSsl ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;

    /// <summary>A hash for about <paramref name="expectedLength"/> bytes of input, appended in pieces.</summary>
    public static Sha256 Create(long expectedLength) => new(openSsl: expectedLength > ManagedLimit);

    public static byte[] HashData(ReadOnlySpan<byte> data)
    {
        if (data.Length > ManagedLimit) return SHA256.HashData(data);
        var hash = new Sha256(openSsl: false);
        hash.AppendData(data);
        return hash.GetHash();
    }

    public void AppendData(ReadOnlySpan<byte> data)
    {
        if (_openSsl is not null)
        {
            _openSsl.AppendData(data);
            return;
        }
        _length += data.Length;
        if (_buffered > 0)
        {
            var take = Math.Min(64 - _buffered, data.Length);
            data[..take].CopyTo(_block.AsSpan(_buffered));
            _buffered += take;
            data = data[take..];
            if (_buffered < 64) return;
            Compress(_block);
            _buffered = 0;
        }
        for (; data.Length >= 64; data = data[64..]) Compress(data[..64]);
        data.CopyTo(_block);
        _buffered = data.Length;
    }

    /// <summary>The hash of everything appended; the object is not to be used afterwards.</summary>
    public byte[] GetHash()
    {
        if (_openSsl is not null) return _openSsl.GetHashAndReset();
        // Padding: 0x80, zeros up to 56 bytes into a block, then the length in bits, big-endian.
        var bits = _length * 8;
        Span<byte> tail = stackalloc byte[128];
        tail.Clear();
        _block.AsSpan(0, _buffered).CopyTo(tail);
        tail[_buffered] = 0x80;
        var blocks = _buffered < 56 ? 1 : 2;
        BinaryPrimitives.WriteInt64BigEndian(tail[(blocks * 64 - 8)..], bits);
        for (var i = 0; i < blocks; i++) Compress(tail.Slice(i * 64, 64));
        var hash = new byte[32];
        for (var i = 0; i < 8; i++) BinaryPrimitives.WriteUInt32BigEndian(hash.AsSpan(i * 4), _state[i]);
        return hash;
    }

    public void Dispose() => _openSsl?.Dispose();

    private void Compress(ReadOnlySpan<byte> block)
    {
        Span<uint> w = stackalloc uint[64];
        for (var t = 0; t < 16; t++) w[t] = BinaryPrimitives.ReadUInt32BigEndian(block[(t * 4)..]);
        for (var t = 16; t < 64; t++)
        {
            var s0 = BitOperations.RotateRight(w[t - 15], 7) ^ BitOperations.RotateRight(w[t - 15], 18) ^ (w[t - 15] >> 3);
            var s1 = BitOperations.RotateRight(w[t - 2], 17) ^ BitOperations.RotateRight(w[t - 2], 19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        uint a = _state[0], b = _state[1], c = _state[2], d = _state[3], e = _state[4], f = _state[5], g = _state[6], h = _state[7];
        for (var t = 0; t < 64; t++)
        {
            var t1 = h + (BitOperations.RotateRight(e, 6) ^ BitOperations.RotateRight(e, 11) ^ BitOperations.RotateRight(e, 25))
                     + ((e & f) ^ (~e & g)) + K[t] + w[t];
            var t2 = (BitOperations.RotateRight(a, 2) ^ BitOperations.RotateRight(a, 13) ^ BitOperations.RotateRight(a, 22))
                     + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        _state[0] += a;
        _state[1] += b;
        _state[2] += c;
        _state[3] += d;
        _state[4] += e;
        _state[5] += f;
        _state[6] += g;
        _state[7] += h;
    }
}
