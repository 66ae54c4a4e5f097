using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Sbuild.Core;

namespace Sbuild.TestSupport;

/// <summary>
/// A one-layer image written from scratch as an OCI image layout (<c>oci-layout</c>, <c>index.json</c>,
/// <c>blobs/sha256/…</c>), to push into a test registry with <c>skopeo copy oci:DIR:TAG docker://…</c>. The layer is a
/// gzip'ed tar holding one file; the digests are known up front so tests can fetch each blob by digest.
/// Built here rather than with sbuild so registry tests do not depend on the code they test.
/// </summary>
public sealed record OciTestImage(string LayoutDir, string Tag, Digest ManifestDigest, Digest ConfigDigest, Digest LayerDigest, long LayerSize)
{
    public const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
    public const string ConfigMediaType = "application/vnd.oci.image.config.v1+json";
    public const string LayerMediaType = "application/vnd.oci.image.layer.v1.tar+gzip";

    /// <summary>The skopeo/containers-image reference of the image: <c>oci:DIR:TAG</c>.</summary>
    public string Reference => $"oci:{LayoutDir}:{Tag}";

    /// <summary>Where the layout stores the blob <paramref name="digest"/>.</summary>
    public string BlobPath(Digest digest) => Path.Combine(LayoutDir, "blobs", digest.Algorithm, digest.Encoded);

    /// <summary>The layer blob (the gzip'ed tar), for comparing with what a registry serves.</summary>
    public byte[] ReadLayer() => File.ReadAllBytes(BlobPath(LayerDigest));

    /// <summary>An image whose layer holds <c>/hello.txt</c> with <paramref name="text"/>.</summary>
    public static OciTestImage Write(string layoutDir, string tag = "t", string text = "hello from sbuild tests\n") =>
        Write(layoutDir, tag, "hello.txt", Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// An image whose layer holds <paramref name="fileName"/> with <paramref name="content"/> (random bytes make a
    /// layer about as large as the content, for tests that need big blobs; the layer is streamed through files, not
    /// held in memory again). <paramref name="layoutDir"/> is created.
    /// </summary>
    public static OciTestImage Write(string layoutDir, string tag, string fileName, byte[] content)
    {
        var blobs = Directory.CreateDirectory(Path.Combine(layoutDir, "blobs", "sha256")).FullName;
        var (diffId, layerDigest, layerSize) = WriteLayer(blobs, fileName, content);
        var config = Encoding.UTF8.GetBytes(
            $$"""{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["{{diffId}}"]},"history":[{"created_by":"OciTestImage"}]}""");
        var configDigest = Store(blobs, config);
        var manifest = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"{{ManifestMediaType}}","config":{"mediaType":"{{ConfigMediaType}}","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[{"mediaType":"{{LayerMediaType}}","digest":"{{layerDigest}}","size":{{layerSize}}}]}""");
        var manifestDigest = Store(blobs, manifest);
        File.WriteAllText(Path.Combine(layoutDir, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        File.WriteAllText(Path.Combine(layoutDir, "index.json"),
            $$$"""{"schemaVersion":2,"manifests":[{"mediaType":"{{{ManifestMediaType}}}","digest":"{{{manifestDigest}}}","size":{{{manifest.Length}}},"annotations":{"org.opencontainers.image.ref.name":"{{{tag}}}"}}]}""");
        return new OciTestImage(layoutDir, tag, manifestDigest, configDigest, layerDigest, layerSize);
    }

    /// <summary>
    /// Writes the layer blob and returns the uncompressed tar's digest (the config's diff_id) and the blob's digest and
    /// size. The tar is hashed on its way into gzip, the blob on its way to disk. Fixed times keep it reproducible.
    /// </summary>
    private static (Digest DiffId, Digest Digest, long Size) WriteLayer(string blobsDir, string fileName, byte[] content)
    {
        var temp = Path.Combine(blobsDir, $".layer-{Guid.NewGuid():N}");
        using var blobHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var tarHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        using (var hashedFile = new HashingWriteStream(file, blobHash))
        using (var gzip = new GZipStream(hashedFile, CompressionLevel.Fastest))
        using (var hashedTar = new HashingWriteStream(gzip, tarHash))
        using (var writer = new TarWriter(hashedTar, TarEntryFormat.Pax))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, fileName)
            {
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                ModificationTime = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero),
                DataStream = new MemoryStream(content, writable: false),
            });
        }
        var digest = Digest.FromSha256Bytes(blobHash.GetHashAndReset());
        var size = new FileInfo(temp).Length;
        File.Move(temp, Path.Combine(blobsDir, digest.Encoded), overwrite: true);
        return (Digest.FromSha256Bytes(tarHash.GetHashAndReset()), digest, size);
    }

    private static Digest Store(string blobsDir, byte[] blob)
    {
        var digest = Digest.Of(blob);
        File.WriteAllBytes(Path.Combine(blobsDir, digest.Encoded), blob);
        return digest;
    }

    /// <summary>A write-only pass-through that feeds everything written into a hash.</summary>
    private sealed class HashingWriteStream(Stream inner, IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            inner.Write(buffer);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
