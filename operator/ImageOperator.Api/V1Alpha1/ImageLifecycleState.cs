using System.Text.Json.Serialization;

namespace ImageOperator.Api.V1Alpha1;

/// <summary>Lifecycle state of a custom image.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ImageLifecycleState>))]
public enum ImageLifecycleState
{
    /// <summary>The image is being created.</summary>
    [JsonStringEnumMemberName("Provisioning")]
    Provisioning,

    /// <summary>The disk is being imported; the image cannot be used yet.</summary>
    [JsonStringEnumMemberName("Importing")]
    Importing,

    /// <summary>The image is ready for use.</summary>
    [JsonStringEnumMemberName("Available")]
    Available,

    /// <summary>At least one export is copying the disk to object storage; the image stays usable but cannot be deleted.</summary>
    [JsonStringEnumMemberName("Exporting")]
    Exporting,

    /// <summary>The image has been disabled and cannot be used to launch instances.</summary>
    [JsonStringEnumMemberName("Disabled")]
    Disabled,

    /// <summary>The image is being deleted.</summary>
    [JsonStringEnumMemberName("Deleted")]
    Deleted,

    /// <summary>Creating the image failed; the Ready condition says why.</summary>
    [JsonStringEnumMemberName("Failed")]
    Failed,
}
