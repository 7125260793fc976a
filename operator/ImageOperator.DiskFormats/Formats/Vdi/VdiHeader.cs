namespace ImageOperator.DiskFormats.Formats.Vdi;

/// <summary>The VDI header (version 1.1).</summary>
internal sealed partial record VdiHeader
{
    public uint Version { get; init; } = VdiConstants.Version1_1;
    public uint HeaderSize { get; init; } = VdiConstants.HeaderSize;
    public uint ImageType { get; init; } = VdiConstants.TypeDynamic;
    public uint ImageFlags { get; init; }
    public uint OffsetBlockMap { get; init; }
    public uint OffsetData { get; init; }
    public uint SectorSize { get; init; } = VdiConstants.SectorSize;
    public ulong DiskSize { get; init; }
    public uint BlockSize { get; init; } = VdiConstants.BlockSize;
    public uint BlockExtra { get; init; }
    public uint BlocksInImage { get; init; }
    public uint BlocksAllocated { get; init; }
    public Guid UuidImage { get; init; }
    public Guid UuidLastSnapshot { get; init; }
    public Guid UuidLink { get; init; }
    public Guid UuidParent { get; init; }
}
