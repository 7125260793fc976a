namespace ImageOperator.DiskFormats.Formats.Vhd;

/// <summary>Constants of the VHD format (Microsoft VHD Image Format Specification). All fields are big-endian.</summary>
internal static class VhdConstants
{
    /// <summary>"conectix": the footer cookie.</summary>
    public static ReadOnlySpan<byte> Cookie => "conectix"u8;

    /// <summary>"cxsparse": the dynamic-disk header cookie.</summary>
    public static ReadOnlySpan<byte> DynamicHeaderCookie => "cxsparse"u8;

    public const int FooterSize = 512;
    public const int DynamicHeaderSize = 1024;
    public const int SectorSize = 512;

    public const uint FeaturesReserved = 0x2;
    public const uint FileFormatVersion = 0x00010000;
    public const uint DynamicHeaderVersion = 0x00010000;

    /// <summary>Data offset of a fixed disk: none.</summary>
    public const ulong FixedDataOffset = ulong.MaxValue;

    public const uint DiskTypeFixed = 2;
    public const uint DiskTypeDynamic = 3;
    public const uint DiskTypeDifferencing = 4;

    public const uint UnallocatedBlock = 0xFFFFFFFF;
    public const int DefaultBlockSize = 2 << 20;

    /// <summary>The largest CHS geometry, 65535/16/255: disks of that geometry use the current size.</summary>
    public const long MaxGeometrySectors = 65535L * 16 * 255;

    /// <summary>qemu's bound: 2040 GiB.</summary>
    public const long MaxSectors = 0xFF000000L;

    /// <summary>Timestamps count seconds since 2000-01-01 00:00:00 UTC.</summary>
    public static readonly DateTimeOffset Epoch = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Creator applications whose disks take their size from the footer's current size rather than the CHS geometry
    /// (Hyper-V, qemu with force_size, Disk2vhd, XenConverter, XenServer), as qemu decides.
    /// </summary>
    public static readonly string[] CurrentSizeCreators = ["win ", "qem2", "d2v ", "CTXS", "tap\0"];
}

/// <summary>Byte offsets of the VHD footer fields.</summary>
internal static class VhdFooterFieldLocations
{
    public const int Cookie = 0;
    public const int Features = 8;
    public const int FileFormatVersion = 12;
    public const int DataOffset = 16;
    public const int TimeStamp = 24;
    public const int CreatorApplication = 28;
    public const int CreatorVersion = 32;
    public const int CreatorHostOs = 36;
    public const int OriginalSize = 40;
    public const int CurrentSize = 48;
    public const int Cylinders = 56;
    public const int Heads = 58;
    public const int SectorsPerTrack = 59;
    public const int DiskType = 60;
    public const int Checksum = 64;
    public const int UniqueId = 68;
    public const int SavedState = 84;
}

/// <summary>Byte offsets of the dynamic-disk header fields.</summary>
internal static class VhdDynamicHeaderFieldLocations
{
    public const int Cookie = 0;
    public const int DataOffset = 8;
    public const int TableOffset = 16;
    public const int HeaderVersion = 24;
    public const int MaxTableEntries = 28;
    public const int BlockSize = 32;
    public const int Checksum = 36;
    public const int ParentUniqueId = 40;
    public const int ParentTimeStamp = 56;
    public const int ParentUnicodeName = 64;
    public const int ParentLocatorEntries = 576;
}
