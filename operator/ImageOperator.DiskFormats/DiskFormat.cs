namespace ImageOperator.DiskFormats;

/// <summary>A container format of a virtual disk.</summary>
public enum DiskFormat
{
    /// <summary>A plain byte-for-byte disk: no metadata, the fallback when nothing else matches.</summary>
    Raw,

    /// <summary>QEMU copy-on-write v2 or v3.</summary>
    Qcow2,

    /// <summary>VMware hosted sparse extent (monolithicSparse or streamOptimized).</summary>
    Vmdk,

    /// <summary>VirtualBox disk image.</summary>
    Vdi,

    /// <summary>Microsoft Virtual Hard Disk (fixed or dynamic).</summary>
    Vhd,

    /// <summary>The provider's <c>.oci</c> archive: a tar holding a QCOW2 disk and its metadata.</summary>
    Oci,
}
