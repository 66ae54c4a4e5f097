using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Sbuild.Core;

/// <summary>
/// Probe verdicts remembered across processes in one JSON file (the runtime probe's, the overlay probe's), best effort:
/// a file that is missing, unreadable or cannot be written only means probing again.
/// </summary>
/// <param name="verdictsOf">The verdicts a file holds.</param>
/// <param name="fileOf">The file that holds these verdicts.</param>
public sealed class VerdictFile<TFile, TVerdict>(string path, JsonTypeInfo<TFile> typeInfo,
    Func<TFile, IReadOnlyList<TVerdict>> verdictsOf, Func<IReadOnlyList<TVerdict>, TFile> fileOf)
    where TVerdict : class
{
    public TVerdict? Find(Predicate<TVerdict> match) => Load().Find(match);

    /// <summary>Keeps <paramref name="verdict"/> in place of those <paramref name="sameKey"/> matches.</summary>
    public void Store(TVerdict verdict, Predicate<TVerdict> sameKey)
    {
        try
        {
            var verdicts = Load();
            verdicts.RemoveAll(sameKey);
            verdicts.Add(verdict);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(fileOf(verdicts), typeInfo));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private List<TVerdict> Load()
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, typeInfo) is { } file ? [.. verdictsOf(file)] : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return [];
        }
    }
}
