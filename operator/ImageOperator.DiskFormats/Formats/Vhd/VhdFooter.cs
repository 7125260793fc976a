namespace ImageOperator.DiskFormats.Formats.Vhd;

/// <summary>The 512-byte VHD footer (at the end of every VHD, copied at offset 0 of dynamic ones).</summary>
internal sealed partial record VhdFooter
{
    public uint Features { get; init; }
    public uint FileFormatVersion { get; init; }
    public ulong DataOffset { get; init; }
    public uint TimeStamp { get; init; }
    public string CreatorApplication { get; init; } = "";
    public uint CreatorVersion { get; init; }
    public uint CreatorHostOs { get; init; }
    public ulong OriginalSize { get; init; }
    public ulong CurrentSize { get; init; }
    public ushort Cylinders { get; init; }
    public byte Heads { get; init; }
    public byte SectorsPerTrack { get; init; }
    public uint DiskType { get; init; }
    public uint Checksum { get; init; }
    public Guid UniqueId { get; init; }
    public byte SavedState { get; init; }

    /// <summary>
    /// The disk size as qemu computes it: the CHS geometry's size, unless the creator is one whose current size is
    /// trusted or the geometry is the maximum one.
    /// </summary>
    public long VirtualSize =>
        VhdConstants.CurrentSizeCreators.Contains(CreatorApplication) || (long)Cylinders * Heads * SectorsPerTrack == VhdConstants.MaxGeometrySectors
            ? (long)CurrentSize
            : (long)Cylinders * Heads * SectorsPerTrack * VhdConstants.SectorSize;
}

/// <summary>The 1024-byte header of a dynamic VHD.</summary>
internal sealed partial record VhdDynamicHeader
{
    public ulong DataOffset { get; init; }
    public ulong TableOffset { get; init; }
    public uint HeaderVersion { get; init; }
    public uint MaxTableEntries { get; init; }
    public uint BlockSize { get; init; }
    public uint Checksum { get; init; }
    public Guid ParentUniqueId { get; init; }
}
