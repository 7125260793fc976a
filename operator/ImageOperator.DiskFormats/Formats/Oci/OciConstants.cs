namespace ImageOperator.DiskFormats.Formats.Oci;

/// <summary>Constants of the <c>.oci</c> archive: a ustar tar with a QCOW2 disk entry and a JSON metadata entry.</summary>
internal static class OciConstants
{
    public const int BlockSize = 512;

    public const int UstarMagicOffset = TarFieldLocations.Magic;

    /// <summary>"ustar": POSIX (<c>ustar\0</c> + "00") and GNU (<c>ustar  \0</c>) archives both start with it.</summary>
    public static ReadOnlySpan<byte> UstarMagic => "ustar"u8;

    /// <summary>Entry name this engine writes for the disk; the first is ours, the second the provider's export.</summary>
    public static readonly string[] DiskEntryNames = ["disk.qcow2", "output.QCOW2"];

    /// <summary>Entry name this engine writes for the metadata; the first is ours, the second the provider's export.</summary>
    public static readonly string[] MetadataEntryNames = ["metadata.json", "image_metadata.json"];

    public const byte TypeRegular = (byte)'0';
    public const byte TypeRegularOld = 0;
    public const byte TypeDirectory = (byte)'5';
    public const byte TypePaxExtended = (byte)'x';
    public const byte TypePaxGlobal = (byte)'g';
    public const byte TypeGnuLongName = (byte)'L';

    /// <summary>Bound on entries looked at and on extended headers, so a hostile archive cannot make us loop.</summary>
    public const int MaxEntries = 64;
    public const int MaxExtendedHeaderBytes = 64 << 10;
}

/// <summary>Byte offsets of the ustar header fields.</summary>
internal static class TarFieldLocations
{
    public const int Name = 0;
    public const int Mode = 100;
    public const int Uid = 108;
    public const int Gid = 116;
    public const int Size = 124;
    public const int MTime = 136;
    public const int Checksum = 148;
    public const int TypeFlag = 156;
    public const int LinkName = 157;
    public const int Magic = 257;
    public const int Version = 263;
    public const int UName = 265;
    public const int GName = 297;
    public const int DevMajor = 329;
    public const int DevMinor = 337;
    public const int Prefix = 345;
}

/// <summary>Byte lengths of the ustar header fields.</summary>
internal static class TarFieldLengths
{
    public const int Name = 100;
    public const int Mode = 8;
    public const int Uid = 8;
    public const int Gid = 8;
    public const int Size = 12;
    public const int MTime = 12;
    public const int Checksum = 8;
    public const int LinkName = 100;
    public const int Magic = 6;
    public const int Version = 2;
    public const int UName = 32;
    public const int GName = 32;
    public const int DevMajor = 8;
    public const int DevMinor = 8;
    public const int Prefix = 155;
}
