using System.Text.Json.Serialization;

namespace ImageOperator.Api.V1Alpha1;

/// <summary>Processor generation of a shape. Windows needs v3 or later.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ProcessorGeneration>))]
public enum ProcessorGeneration
{
    /// <summary>Generation 1.</summary>
    [JsonStringEnumMemberName("v1")]
    V1,

    /// <summary>Generation 2.</summary>
    [JsonStringEnumMemberName("v2")]
    V2,

    /// <summary>Generation 3, the minimum for Windows.</summary>
    [JsonStringEnumMemberName("v3")]
    V3,

    /// <summary>Generation 4.</summary>
    [JsonStringEnumMemberName("v4")]
    V4,

    /// <summary>Generation 5.</summary>
    [JsonStringEnumMemberName("v5")]
    V5,

    /// <summary>Generation 6.</summary>
    [JsonStringEnumMemberName("v6")]
    V6,
}
