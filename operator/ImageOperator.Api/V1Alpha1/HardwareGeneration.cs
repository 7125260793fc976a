using System.Text.Json.Serialization;

namespace ImageOperator.Api.V1Alpha1;

/// <summary>Hardware generation of a shape. Network, NVMe and GPU drivers differ between X5, X6 and X7.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HardwareGeneration>))]
public enum HardwareGeneration
{
    /// <summary>Intel X5.</summary>
    [JsonStringEnumMemberName("X5")]
    X5,

    /// <summary>Intel X6.</summary>
    [JsonStringEnumMemberName("X6")]
    X6,

    /// <summary>Intel X7.</summary>
    [JsonStringEnumMemberName("X7")]
    X7,

    /// <summary>Intel X8.</summary>
    [JsonStringEnumMemberName("X8")]
    X8,

    /// <summary>Intel X9.</summary>
    [JsonStringEnumMemberName("X9")]
    X9,

    /// <summary>AMD E2.</summary>
    [JsonStringEnumMemberName("E2")]
    E2,

    /// <summary>AMD E3.</summary>
    [JsonStringEnumMemberName("E3")]
    E3,

    /// <summary>AMD E4.</summary>
    [JsonStringEnumMemberName("E4")]
    E4,

    /// <summary>AMD E5.</summary>
    [JsonStringEnumMemberName("E5")]
    E5,
}
