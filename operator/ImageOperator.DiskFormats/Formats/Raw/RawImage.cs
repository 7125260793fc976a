using ImageOperator.DiskFormats.Inspection;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.DiskFormats.Formats.Raw;

/// <summary>
/// A disk stored byte for byte from the start of the source: a raw image, or the data part of a fixed VHD (whose
/// footer follows the data).
/// </summary>
internal sealed class RawImage : MappedDiskImage
{
    private RawImage(IRangeReader source, DiskFormat format, string subformat, long virtualSize)
        : base(source)
    {
        Format = format;
        Subformat = subformat;
        VirtualSize = virtualSize;
    }

    /// <inheritdoc />
    public override DiskFormat Format { get; }

    /// <inheritdoc />
    public override string Subformat { get; }

    /// <inheritdoc />
    public override long VirtualSize { get; }

    /// <summary>Opens a raw image: the whole source is the disk.</summary>
    public static RawImage Open(IRangeReader source, DiskImageLimits limits)
    {
        if (source.Length > limits.MaxVirtualSize)
        {
            ImageThrowHelper.ThrowLimitExceeded($"the raw image of {source.Length} bytes exceeds the {limits.MaxVirtualSize}-byte limit");
        }

        var image = new RawImage(source, DiskFormat.Raw, "raw", source.Length);
        if (source.Length % 512 != 0)
        {
            image.AddFinding($"the raw image size {source.Length} is not a multiple of 512 bytes");
        }

        return image;
    }

    /// <summary>A disk of <paramref name="virtualSize"/> bytes stored at the start of the source (a fixed VHD).</summary>
    public static RawImage OpenPrefix(IRangeReader source, DiskFormat format, string subformat, long virtualSize) =>
        new(source, format, subformat, virtualSize);

    /// <inheritdoc />
    /// <remarks>Holes of a sparse source file read as zeros, so they map to zero runs and are never read or scanned.</remarks>
    protected override ValueTask<Mapping> MapAsync(long offset, long maxLength, CancellationToken cancellationToken)
    {
        if (Source is IDataRangeReader sparse && sparse.TryFindData(offset, out var dataStart, out var dataEnd))
        {
            return ValueTask.FromResult(dataStart > offset
                ? Mapping.Zero(Math.Min(dataStart - offset, maxLength))
                : Mapping.Data(Math.Min(dataEnd - offset, maxLength), offset));
        }

        return ValueTask.FromResult(Mapping.Data(maxLength, offset));
    }
}
