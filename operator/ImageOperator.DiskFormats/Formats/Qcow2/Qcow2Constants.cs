namespace ImageOperator.DiskFormats.Formats.Qcow2;

/// <summary>Constants of the QCOW2 format (qemu <c>docs/interop/qcow2.txt</c>). All fields are big-endian.</summary>
internal static class Qcow2Constants
{
    /// <summary><c>QFI\xFB</c> at offset 0.</summary>
    public static ReadOnlySpan<byte> Magic => [0x51, 0x46, 0x49, 0xFB];

    public const uint MagicValue = 0x514649FB;

    public const int Version2 = 2;
    public const int Version3 = 3;

    /// <summary>Header length of version 2, which has no length field.</summary>
    public const int Version2HeaderLength = 72;

    /// <summary>Smallest header length of version 3.</summary>
    public const int Version3HeaderLength = 104;

    /// <summary>Header length qemu writes for version 3 (with the compression type byte and padding).</summary>
    public const int Version3HeaderLengthWithCompressionType = 112;

    public const int MinClusterBits = 9;
    public const int MaxClusterBits = 21;
    public const int DefaultClusterBits = 16;

    /// <summary>Extended L2 entries need clusters of at least 16 KiB (qemu).</summary>
    public const int MinExtendedL2ClusterBits = 14;

    public const uint CryptNone = 0;

    /// <summary>Refcount width of version 2 (16 bits).</summary>
    public const int Version2RefcountOrder = 4;
    public const int MaxRefcountOrder = 6;

    public const ulong IncompatibleDirty = 1UL << 0;
    public const ulong IncompatibleCorrupt = 1UL << 1;
    public const ulong IncompatibleExternalData = 1UL << 2;
    public const ulong IncompatibleCompressionType = 1UL << 3;
    public const ulong IncompatibleExtendedL2 = 1UL << 4;
    public const ulong KnownIncompatibleFeatures = 0x1F;

    public const ulong CompatibleLazyRefcounts = 1UL << 0;

    public const byte CompressionZlib = 0;
    public const byte CompressionZstd = 1;

    /// <summary>Header extension types.</summary>
    public const uint ExtensionEnd = 0;
    public const uint ExtensionBackingFormat = 0xE2792ACA;
    public const uint ExtensionFeatureNameTable = 0x6803F857;
    public const uint ExtensionBitmaps = 0x23852875;
    public const uint ExtensionFullDiskEncryption = 0x0537BE77;
    public const uint ExtensionExternalDataFileName = 0x44415441;

    /// <summary>"IMOP": this engine's image metadata as UTF-8 JSON .</summary>
    public const uint ExtensionImageOperatorMetadata = 0x494D4F50;

    /// <summary>Bits 9-55 of L1 entries and standard L2 entries: the host offset.</summary>
    public const ulong OffsetMask = 0x00FF_FFFF_FFFF_FE00;
    public const ulong CopiedFlag = 1UL << 63;
    public const ulong CompressedFlag = 1UL << 62;

    /// <summary>Bit 0 of a standard L2 entry (version 3): the cluster reads as zeros.</summary>
    public const ulong ZeroFlag = 1UL << 0;

    /// <summary>Bits of an L1 entry that must be zero: 1-8 and 56-62.</summary>
    public const ulong L1ReservedMask = 0x7F00_0000_0000_01FE;

    /// <summary>Bits of a standard L2 entry that must be zero: 1-8 and 56-61.</summary>
    public const ulong L2ReservedMask = 0x3F00_0000_0000_01FE;

    public const int L2EntrySize = 8;
    public const int ExtendedL2EntrySize = 16;
    public const int SubclustersPerCluster = 32;

    /// <summary>qemu's bound on the L1 table (32 MiB).</summary>
    public const long MaxL1Bytes = 32L << 20;

    /// <summary>qemu's bound on the refcount table (8 MiB).</summary>
    public const long MaxRefcountTableBytes = 8L << 20;

    /// <summary>Host offsets are 56 bits wide.</summary>
    public const long MaxHostOffset = 1L << 56;

    /// <summary>Compressed-cluster descriptors count in 512-byte sectors.</summary>
    public const int CompressedSectorSize = 512;
}

/// <summary>Byte offsets of the QCOW2 header fields.</summary>
internal static class Qcow2FieldLocations
{
    public const int Magic = 0;
    public const int Version = 4;
    public const int BackingFileOffset = 8;
    public const int BackingFileSize = 16;
    public const int ClusterBits = 20;
    public const int Size = 24;
    public const int CryptMethod = 32;
    public const int L1Size = 36;
    public const int L1TableOffset = 40;
    public const int RefcountTableOffset = 48;
    public const int RefcountTableClusters = 56;
    public const int NbSnapshots = 60;
    public const int SnapshotsOffset = 64;
    public const int IncompatibleFeatures = 72;
    public const int CompatibleFeatures = 80;
    public const int AutoclearFeatures = 88;
    public const int RefcountOrder = 96;
    public const int HeaderLength = 100;
    public const int CompressionType = 104;
}
