namespace ImageOperator.DiskFormats.Formats.Vmdk;

/// <summary>The header of a hosted sparse extent (also repeated in the footer of streamOptimized files).</summary>
internal sealed partial record VmdkHeader
{
    public uint Version { get; init; } = 1;
    public uint Flags { get; init; }
    public ulong CapacitySectors { get; init; }
    public ulong GrainSectors { get; init; } = VmdkConstants.DefaultGrainSectors;
    public ulong DescriptorOffsetSectors { get; init; }
    public ulong DescriptorSizeSectors { get; init; }
    public uint NumGtesPerGt { get; init; } = VmdkConstants.DefaultGrainTableEntries;
    public ulong RedundantGrainDirectorySector { get; init; }
    public ulong GrainDirectorySector { get; init; }
    public ulong OverheadSectors { get; init; }
    public byte UncleanShutdown { get; init; }
    public ushort CompressAlgorithm { get; init; }

    public bool HasCompressedGrains => (Flags & VmdkConstants.FlagCompressedGrains) != 0;

    public bool HasMarkers => (Flags & VmdkConstants.FlagMarkers) != 0;

    public bool HasZeroedGrainEntries => (Flags & VmdkConstants.FlagZeroedGrainTableEntries) != 0;

    public long GrainSize => (long)GrainSectors * VmdkConstants.SectorSize;

    /// <summary>Bytes of the virtual disk one grain table maps.</summary>
    public long GrainTableSpan => GrainSize * NumGtesPerGt;

    /// <summary>Entries of the grain directory.</summary>
    public long GrainDirectoryEntries => (long)((CapacitySectors * VmdkConstants.SectorSize + (ulong)GrainTableSpan - 1) / (ulong)GrainTableSpan);
}
