using ImageOperator.DiskFormats;
using ImageOperator.DiskFormats.Conversion;

namespace ImageOperator.Cli;

/// <summary>The format names of the command line (qemu-img's where they exist).</summary>
internal static class FormatNames
{
    public static DiskFormat Source(string name) => name.ToLowerInvariant() switch
    {
        "raw" => DiskFormat.Raw,
        "qcow2" => DiskFormat.Qcow2,
        "vmdk" => DiskFormat.Vmdk,
        "vdi" => DiskFormat.Vdi,
        "vhd" or "vpc" => DiskFormat.Vhd,
        "oci" => DiskFormat.Oci,
        _ => throw new UsageException($"unknown source format '{name}'"),
    };

    public static OutputFormat Output(string name) => name.ToLowerInvariant() switch
    {
        "raw" => OutputFormat.Raw,
        "qcow2" => OutputFormat.Qcow2,
        "vmdk" => OutputFormat.Vmdk,
        "vdi" => OutputFormat.Vdi,
        "vhd" or "vpc" => OutputFormat.Vhd,
        "vhd-fixed" => OutputFormat.VhdFixed,
        "oci" => OutputFormat.Oci,
        _ => throw new UsageException($"unknown output format '{name}'"),
    };
}
