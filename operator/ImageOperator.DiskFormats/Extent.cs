namespace ImageOperator.DiskFormats;

/// <summary>What a range of the virtual disk holds.</summary>
public enum ExtentKind
{
    /// <summary>Stored data (which may still happen to be zeros).</summary>
    Data,

    /// <summary>Reads as zeros: explicitly zeroed or never allocated. Converters skip it and keep outputs sparse.</summary>
    Zero,
}

/// <summary>A contiguous range of the virtual disk, in bytes.</summary>
/// <param name="Offset">Start in the virtual disk.</param>
/// <param name="Length">Length in bytes, greater than zero.</param>
/// <param name="Kind">What the range holds.</param>
public readonly record struct Extent(long Offset, long Length, ExtentKind Kind)
{
    /// <summary>First byte after the extent.</summary>
    public long End => Offset + Length;
}
