using System.Text.Json.Serialization;

namespace ImageOperator.Api.V1Alpha1;

/// <summary>Disk format an image is exported to.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ExportFormat>))]
public enum ExportFormat
{
    /// <summary>Provider <c>.oci</c> file (QCOW2 plus image metadata), to move an image to another namespace or region.</summary>
    [JsonStringEnumMemberName("OCI")]
    Oci,

    /// <summary>QEMU copy-on-write version 2.</summary>
    [JsonStringEnumMemberName("QCOW2")]
    Qcow2,

    /// <summary>VMware virtual disk (stream-optimized).</summary>
    [JsonStringEnumMemberName("VMDK")]
    Vmdk,

    /// <summary>VirtualBox disk image.</summary>
    [JsonStringEnumMemberName("VDI")]
    Vdi,

    /// <summary>Hyper-V / Virtual PC disk.</summary>
    [JsonStringEnumMemberName("VHD")]
    Vhd,

    /// <summary>Raw disk bytes.</summary>
    [JsonStringEnumMemberName("RAW")]
    Raw,
}
