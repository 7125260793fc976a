using System.Text.Json.Serialization;

namespace ImageOperator.Api.V1Alpha1;

/// <summary>Processor architecture of the guest.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CpuArchitecture>))]
public enum CpuArchitecture
{
    /// <summary>64-bit x86.</summary>
    [JsonStringEnumMemberName("x86_64")]
    X86_64,

    /// <summary>32-bit x86.</summary>
    [JsonStringEnumMemberName("i386")]
    I386,
}
