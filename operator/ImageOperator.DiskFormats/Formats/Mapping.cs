namespace ImageOperator.DiskFormats.Formats;

/// <summary>How a run of the virtual disk is stored.</summary>
internal enum MappingKind
{
    /// <summary>Reads as zeros (unallocated or explicitly zeroed).</summary>
    Zero,

    /// <summary>Stored uncompressed at a host offset.</summary>
    Data,

    /// <summary>Part of a compressed cluster or grain that must be decompressed whole.</summary>
    Compressed,
}

/// <summary>
/// The storage of a run of the virtual disk that starts at the offset asked for.
/// </summary>
/// <param name="Kind">How the run is stored.</param>
/// <param name="Length">Length of the run in bytes, greater than zero.</param>
/// <param name="HostOffset">Data: file offset of the run's first byte. Compressed: file offset of the compressed block.</param>
/// <param name="StoredLength">Compressed: bytes of the compressed block in the file.</param>
/// <param name="InBlockOffset">Compressed: position of the run's first byte in the decompressed block.</param>
internal readonly record struct Mapping(MappingKind Kind, long Length, long HostOffset = 0, int StoredLength = 0, int InBlockOffset = 0)
{
    public static Mapping Zero(long length) => new(MappingKind.Zero, length);

    public static Mapping Data(long length, long hostOffset) => new(MappingKind.Data, length, hostOffset);

    public static Mapping Compressed(long length, long storedOffset, int storedLength, int inBlockOffset) =>
        new(MappingKind.Compressed, length, storedOffset, storedLength, inBlockOffset);
}
