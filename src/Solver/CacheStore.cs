using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Sbuild.Core;

namespace Sbuild.Solver;

/// <summary>Maps cache keys to results of earlier solves.</summary>
public interface ICacheStore<TResult>
{
    bool TryGet(Digest key, out TResult result);
    void Put(Digest key, TResult result);
}

/// <summary>
/// A persistent cache: one small JSON file per key under a directory, written atomically. A record whose
/// result is no longer usable (e.g. its snapshot was removed) is ignored via <paramref name="isUsable"/>.
/// </summary>
public sealed class DiskCacheStore<TResult>(string directory, JsonTypeInfo<TResult> typeInfo, Func<TResult, bool> isUsable) : ICacheStore<TResult>
{
    public bool TryGet(Digest key, out TResult result)
    {
        result = default!;
        var path = PathOf(key);
        if (!File.Exists(path)) return false;
        try
        {
            var bytes = File.ReadAllBytes(path);
            var value = JsonSerializer.Deserialize(bytes, typeInfo);
            if (value is null || !isUsable(value)) return false;
            result = value;
            return true;
        }
        catch (JsonException)
        {
            return false; // a damaged record is a cache miss, not a failed build
        }
    }

    public void Put(Digest key, TResult result)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllBytes(PathOf(key), JsonSerializer.SerializeToUtf8Bytes(result, typeInfo));
    }

    private string PathOf(Digest key) => Path.Combine(directory, key.Encoded);
}

/// <summary>
/// <c>--no-cache</c>: nothing is answered from <paramref name="inner"/>, so every step runs, but what runs is still
/// recorded there, so the next build without the flag is cached again (BuildKit's behaviour).
/// </summary>
public sealed class RecordOnlyCacheStore<TResult>(ICacheStore<TResult> inner) : ICacheStore<TResult>
{
    public bool TryGet(Digest key, out TResult result)
    {
        result = default!;
        return false;
    }

    public void Put(Digest key, TResult result) => inner.Put(key, result);
}
