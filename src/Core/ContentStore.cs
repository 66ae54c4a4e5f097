using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Sbuild.Core;

/// <summary>
/// Content-addressed blob storage. Blobs become visible only once fully written and verified
/// (<see cref="IContentWriter.Commit"/>), so a crash never leaves a blob whose name lies about its bytes.
/// </summary>
public interface IContentStore
{
    bool Exists(Digest digest);
    long? SizeOf(Digest digest);
    Stream OpenRead(Digest digest);
    /// <summary>A writer for a new blob; the digest is computed while writing.</summary>
    IContentWriter OpenWriter();
    void Delete(Digest digest);
    IEnumerable<Digest> Walk();
}

/// <summary>A blob being written. Dispose without <see cref="Commit"/> discards it.</summary>
public interface IContentWriter : IDisposable
{
    Stream Stream { get; }
    /// <summary>Flushes to disk and publishes the blob; when <paramref name="expected"/> is given it must match.</summary>
    Descriptor Commit(string mediaType, Digest? expected = null);
}

/// <summary>An <see cref="IContentStore"/> in a directory laid out like an OCI image layout (<c>blobs/sha256/HEX</c>).</summary>
public sealed class FileContentStore : IContentStore
{
    private readonly string _blobs;
    private readonly string _ingest;
    private readonly Func<string> _ingestPrefix;

    /// <param name="ingestPrefix">Names the writing process in ingest files' names (a store's <see cref="StoreLeases.Tag"/>),
    /// so that what a killed writer left is known to be garbage; none by default.</param>
    public FileContentStore(string root, Func<string>? ingestPrefix = null)
    {
        Root = root;
        _ingestPrefix = ingestPrefix ?? (() => "");
        _blobs = Path.Combine(root, "blobs", Digest.Sha256);
        _ingest = Path.Combine(root, "ingest");
        Directory.CreateDirectory(_blobs);
        Directory.CreateDirectory(_ingest);
    }

    public string Root { get; }

    public string PathOf(Digest digest) => Path.Combine(_blobs, digest.Encoded);

    public bool Exists(Digest digest) => File.Exists(PathOf(digest));

    public long? SizeOf(Digest digest)
    {
        var info = new FileInfo(PathOf(digest));
        return info.Exists ? info.Length : null;
    }

    public Stream OpenRead(Digest digest)
    {
        try
        {
            return new FileStream(PathOf(digest), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (FileNotFoundException)
        {
            throw new SbuildException(ErrorCode.BlobNotFound, $"blob {digest} is not in the content store {Root}");
        }
    }

    public IContentWriter OpenWriter() => new Writer(this, Path.Combine(_ingest, _ingestPrefix() + Guid.NewGuid().ToString("N")));

    public void Delete(Digest digest) => File.Delete(PathOf(digest));

    public IEnumerable<Digest> Walk()
    {
        foreach (var file in Directory.EnumerateFiles(_blobs))
            if (Digest.TryParse($"{Digest.Sha256}:{Path.GetFileName(file)}", out var d))
                yield return d;
    }

    private sealed class Writer : IContentWriter
    {
        private readonly FileContentStore _store;
        private readonly string _tempPath;
        private readonly FileStream _file;
        private readonly HashingStream _hashing;
        private bool _committed;

        public Writer(FileContentStore store, string tempPath)
        {
            _store = store;
            _tempPath = tempPath;
            _file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            _hashing = new HashingStream(_file, leaveOpen: true);
        }

        public Stream Stream => _hashing;

        public Descriptor Commit(string mediaType, Digest? expected = null)
        {
            _hashing.Flush();
            _file.Flush(flushToDisk: true);
            var digest = _hashing.GetDigest();
            var size = _hashing.Length;
            _file.Dispose();
            if (expected is { } want && want != digest)
                throw new SbuildException(ErrorCode.DigestMismatch, $"content digest mismatch: expected {want}, got {digest}");
            // Renaming over a blob another writer (maybe another process pulling the same layer) published meanwhile
            // is safe: same digest, same bytes, and rename is atomic, so readers never see a partial file.
            File.Move(_tempPath, _store.PathOf(digest), overwrite: true);
            _committed = true;
            return new Descriptor { MediaType = mediaType, Digest = digest, Size = size };
        }

        public void Dispose()
        {
            try
            {
                _hashing.Dispose();
                _file.Dispose();
            }
            catch (IOException) when (!_committed)
            {
                // Flushing the rest of a blob nobody will see failed (e.g. the disk is full): it is discarded anyway.
            }
            finally
            {
                if (!_committed) File.Delete(_tempPath);
            }
        }
    }
}

public static class ContentStoreExtensions
{
    /// <summary>Stores small content (configs, manifests); a blob the store has already is not written (and fsynced) again.</summary>
    public static Descriptor WriteBytes(this IContentStore store, ReadOnlySpan<byte> content, string mediaType)
    {
        var digest = Digest.Of(content);
        if (store.SizeOf(digest) == content.Length) return new Descriptor { MediaType = mediaType, Digest = digest, Size = content.Length };
        using var writer = store.OpenWriter();
        writer.Stream.Write(content);
        return writer.Commit(mediaType);
    }

    public static Descriptor WriteJson<T>(this IContentStore store, T value, JsonTypeInfo<T> typeInfo, string mediaType) =>
        store.WriteBytes(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo), mediaType);

    public static T ReadJson<T>(this IContentStore store, Digest digest, JsonTypeInfo<T> typeInfo)
    {
        using var stream = store.OpenRead(digest);
        return JsonSerializer.Deserialize(stream, typeInfo)
            ?? throw new SbuildException(ErrorCode.StoreCorrupt, $"blob {digest} does not hold a JSON document");
    }
}

/// <summary>A write-only pass-through stream that hashes (sha256) and counts what goes through it.</summary>
public sealed class HashingStream(Stream inner, bool leaveOpen = false) : SequentialWriteStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _length;

    public Digest GetDigest() => Digest.FromSha256Bytes(_hash.GetCurrentHash());

    public override long Length => _length;
    public override long Position { get => _length; set => throw new NotSupportedException(); }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        _length += buffer.Length;
        inner.Write(buffer);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _hash.AppendData(buffer.Span);
        _length += buffer.Length;
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Flush() => inner.Flush();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!leaveOpen) inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
