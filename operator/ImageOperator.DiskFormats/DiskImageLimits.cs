namespace ImageOperator.DiskFormats;

/// <summary>
/// Safety bounds applied while inspecting and reading an untrusted image. Anything an image declares beyond
/// them is refused with <see cref="ImageProblem.LimitExceeded"/>, so memory and time stay bounded whatever the input.
/// </summary>
public sealed record DiskImageLimits
{
    /// <summary>The defaults: 64 TiB disks, 256 MiB allocation tables, clusters up to 2 MiB.</summary>
    public static DiskImageLimits Default { get; } = new();

    /// <summary>Largest virtual disk accepted, in bytes.</summary>
    public long MaxVirtualSize { get; init; } = 64L << 40;

    /// <summary>
    /// Largest first-level allocation table accepted (QCOW2 L1, VMDK grain directory, VHD BAT, VDI block map), in
    /// bytes. Tables are read in pages on demand, so this bounds the work an image can ask for, not memory.
    /// </summary>
    public long MaxTableBytes { get; init; } = 256L << 20;

    /// <summary>Largest cluster, grain or block of a sparse format whose blocks are decompressed whole, in bytes.</summary>
    public int MaxClusterSize { get; init; } = 2 << 20;

    /// <summary>Largest metadata document accepted (the <c>.oci</c> JSON entry, the QCOW2 metadata extension), in bytes.</summary>
    public int MaxMetadataBytes { get; init; } = 1 << 20;
}
