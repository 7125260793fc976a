using System.Text.Json.Serialization;

namespace ImageOperator.Api.V1Alpha1;

/// <summary>How the hypervisor presents devices to the guest.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LaunchMode>))]
public enum LaunchMode
{
    /// <summary>
    /// Native (hardware virtual machine with SR-IOV). Only for images built from the platform's own base images,
    /// such as QCOW2 images exported from this platform.
    /// </summary>
    [JsonStringEnumMemberName("NATIVE")]
    Native,

    /// <summary>
    /// Paravirtualized (virtio disk and network): near bare-metal speed, Linux 3.4 or later, portable across
    /// hardware generations. Recommended for imported images.
    /// </summary>
    [JsonStringEnumMemberName("PARAVIRTUALIZED")]
    Paravirtualized,

    /// <summary>
    /// Emulated (IDE disk, e1000 network limited to 1 Gbps): for guests without virtio drivers, such as Linux
    /// kernels older than 3.4.
    /// </summary>
    [JsonStringEnumMemberName("EMULATED")]
    Emulated,
}
