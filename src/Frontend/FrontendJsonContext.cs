using System.Text.Json.Serialization;

namespace Sbuild.Frontend;

/// <summary>JSON of op definitions (the cache key's input and the debug dump); trim/AOT-safe.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Op))]
public sealed partial class FrontendJsonContext : JsonSerializerContext;
