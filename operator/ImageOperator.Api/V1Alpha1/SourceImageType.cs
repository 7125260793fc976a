using System.Text.Json.Serialization;

namespace ImageOperator.Api.V1Alpha1;

/// <summary>Disk format of an image to import.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SourceImageType>))]
public enum SourceImageType
{
    /// <summary>Detect the format from the data.</summary>
    [JsonStringEnumMemberName("Auto")]
    Auto,

    /// <summary>QEMU copy-on-write version 2 or 3.</summary>
    [JsonStringEnumMemberName("QCOW2")]
    Qcow2,

    /// <summary>VMware virtual disk.</summary>
    [JsonStringEnumMemberName("VMDK")]
    Vmdk,

    /// <summary>Provider <c>.oci</c> file: a QCOW2 image plus the source image's metadata.</summary>
    [JsonStringEnumMemberName("OCI")]
    Oci,

    /// <summary>VirtualBox disk image.</summary>
    [JsonStringEnumMemberName("VDI")]
    Vdi,

    /// <summary>Hyper-V / Virtual PC disk (fixed or dynamic).</summary>
    [JsonStringEnumMemberName("VHD")]
    Vhd,

    /// <summary>Raw disk bytes.</summary>
    [JsonStringEnumMemberName("RAW")]
    Raw,
}
