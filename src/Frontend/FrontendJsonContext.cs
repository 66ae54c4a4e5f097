using System.Text.Json.Serialization;

namespace Sbuild.Frontend;

/// <summary>JSON of op definitions (the cache key's input and the debug dump) and of history texts; trim/AOT-safe.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Op))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
public sealed partial class FrontendJsonContext : JsonSerializerContext;
