namespace ImageOperator.DiskFormats.Formats.Vdi;

/// <summary>Constants of the VDI format (VirtualBox <c>VDICore.h</c>, qemu <c>block/vdi.c</c>). All fields are little-endian.</summary>
internal static class VdiConstants
{
    /// <summary>Offset of the signature, after the 64-byte free text.</summary>
    public const int SignatureOffset = 0x40;

    /// <summary>0xBEDA107F, little-endian.</summary>
    public static ReadOnlySpan<byte> Signature => [0x7F, 0x10, 0xDA, 0xBE];

    public const uint SignatureValue = 0xBEDA107F;
    public const uint Version1_1 = 0x00010001;

    /// <summary>Size of the version 1.1 header after the pre-header.</summary>
    public const int HeaderSize = 0x180;

    /// <summary>Bytes to read to have every field of the header (pre-header included).</summary>
    public const int HeaderBytes = 0x1C8;

    public const uint TypeDynamic = 1;
    public const uint TypeStatic = 2;
    public const uint TypeUndo = 3;
    public const uint TypeDiff = 4;

    public const int SectorSize = 512;
    public const int BlockSize = 1 << 20;

    public const uint UnallocatedBlock = 0xFFFFFFFF;
    public const uint ZeroedBlock = 0xFFFFFFFE;

    /// <summary>qemu's bound on the number of blocks.</summary>
    public const uint MaxBlocks = 0x3FFFFFFF;
}

/// <summary>Byte offsets of the VDI header fields (from the start of the file).</summary>
internal static class VdiFieldLocations
{
    public const int Text = 0x00;
    public const int Signature = 0x40;
    public const int Version = 0x44;
    public const int HeaderSize = 0x48;
    public const int ImageType = 0x4C;
    public const int ImageFlags = 0x50;
    public const int Description = 0x54;
    public const int OffsetBlockMap = 0x154;
    public const int OffsetData = 0x158;
    public const int Cylinders = 0x15C;
    public const int Heads = 0x160;
    public const int Sectors = 0x164;
    public const int SectorSize = 0x168;
    public const int DiskSize = 0x170;
    public const int BlockSize = 0x178;
    public const int BlockExtra = 0x17C;
    public const int BlocksInImage = 0x180;
    public const int BlocksAllocated = 0x184;
    public const int UuidImage = 0x188;
    public const int UuidLastSnapshot = 0x198;
    public const int UuidLink = 0x1A8;
    public const int UuidParent = 0x1B8;
}
