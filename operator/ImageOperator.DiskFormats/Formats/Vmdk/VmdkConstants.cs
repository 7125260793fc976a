namespace ImageOperator.DiskFormats.Formats.Vmdk;

/// <summary>Constants of hosted sparse VMDK extents (VMware Virtual Disk Format 1.1/5.0). All fields are little-endian.</summary>
internal static class VmdkConstants
{
    /// <summary>"KDMV": 0x564D444B little-endian, at offset 0 of a hosted sparse extent.</summary>
    public static ReadOnlySpan<byte> SparseMagic => "KDMV"u8;

    public const uint SparseMagicValue = 0x564D444B;

    /// <summary>"COWD": ESX copy-on-write sparse extents, which are not supported.</summary>
    public static ReadOnlySpan<byte> EsxCowdMagic => "COWD"u8;

    /// <summary>The first line of a text descriptor file.</summary>
    public static ReadOnlySpan<byte> DescriptorSignature => "# Disk DescriptorFile"u8;

    public const int SectorSize = 512;
    public const int HeaderSize = 512;

    public const uint MaxVersion = 3;
    public const uint StreamOptimizedVersion = 3;

    public const uint FlagValidNewlineDetection = 1u << 0;
    public const uint FlagRedundantGrainTable = 1u << 1;
    public const uint FlagZeroedGrainTableEntries = 1u << 2;
    public const uint FlagCompressedGrains = 1u << 16;
    public const uint FlagMarkers = 1u << 17;

    public const ushort CompressionNone = 0;
    public const ushort CompressionDeflate = 1;

    /// <summary>Grain directory offset meaning "read the footer near the end of the file".</summary>
    public const ulong GrainDirectoryAtEnd = ulong.MaxValue;

    public const ulong DefaultGrainSectors = 128;
    public const uint DefaultGrainTableEntries = 512;

    /// <summary>A grain table entry of 1 marks a zeroed grain when <see cref="FlagZeroedGrainTableEntries"/> is set.</summary>
    public const uint ZeroedGrain = 1;

    /// <summary>Stream markers: u64 value (sectors or LBA), u32 size, then u32 type for metadata markers.</summary>
    public const int GrainMarkerHeaderSize = 12;
    public const uint MarkerEndOfStream = 0;
    public const uint MarkerGrainTable = 1;
    public const uint MarkerGrainDirectory = 2;
    public const uint MarkerFooter = 3;

    /// <summary>The footer marker, footer header and end-of-stream marker occupy the last three sectors.</summary>
    public const int FooterTrailerSize = 3 * SectorSize;

    public const string NoParentCid = "ffffffff";

    /// <summary>Largest embedded descriptor or descriptor file read.</summary>
    public const int MaxDescriptorBytes = 64 << 10;

    /// <summary>Create types of a single hosted sparse extent holding the descriptor itself.</summary>
    public static readonly string[] SupportedCreateTypes = ["monolithicSparse", "streamOptimized"];
}

/// <summary>Byte offsets of the hosted sparse extent header fields.</summary>
internal static class VmdkFieldLocations
{
    public const int Magic = 0;
    public const int Version = 4;
    public const int Flags = 8;
    public const int Capacity = 12;
    public const int GrainSize = 20;
    public const int DescriptorOffset = 28;
    public const int DescriptorSize = 36;
    public const int NumGtesPerGt = 44;
    public const int RedundantGrainDirectoryOffset = 48;
    public const int GrainDirectoryOffset = 56;
    public const int Overhead = 64;
    public const int UncleanShutdown = 72;
    public const int SingleEndLineChar = 73;
    public const int NonEndLineChar = 74;
    public const int DoubleEndLineChar1 = 75;
    public const int DoubleEndLineChar2 = 76;
    public const int CompressAlgorithm = 77;

    /// <summary>Marker fields (grain and metadata markers).</summary>
    public const int MarkerValue = 0;
    public const int MarkerSize = 8;
    public const int MarkerType = 12;
}
