using System.Text.Json.Serialization;

namespace ImageOperator.Api.V1Alpha1;

/// <summary>
/// Operating system family installed in an image. <see cref="OperatingSystems"/> lists the versions of each and
/// which of them support import and export.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<GuestOperatingSystem>))]
public enum GuestOperatingSystem
{
    /// <summary>Oracle Linux.</summary>
    [JsonStringEnumMemberName("Oracle Linux")]
    OracleLinux,

    /// <summary>Oracle Linux Cloud Developer.</summary>
    [JsonStringEnumMemberName("Oracle Linux Cloud Developer")]
    OracleLinuxCloudDeveloper,

    /// <summary>Oracle Autonomous Linux (platform images only; it cannot be imported or exported).</summary>
    [JsonStringEnumMemberName("Oracle Autonomous Linux")]
    OracleAutonomousLinux,

    /// <summary>CentOS.</summary>
    [JsonStringEnumMemberName("CentOS")]
    CentOS,

    /// <summary>CentOS Stream.</summary>
    [JsonStringEnumMemberName("CentOS Stream")]
    CentOSStream,

    /// <summary>Ubuntu.</summary>
    [JsonStringEnumMemberName("Ubuntu")]
    Ubuntu,

    /// <summary>Windows Server.</summary>
    [JsonStringEnumMemberName("Windows")]
    Windows,
}
