using ImageOperator.DiskFormats.Inspection;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.DiskFormats.Formats.Vdi;

/// <summary>Reads a dynamic or static VDI through its block map.</summary>
internal sealed class VdiImage : MappedDiskImage
{
    private const string BlockMap = "VDI block map";

    private readonly VdiHeader _header;
    private readonly TableReader _tables;

    private VdiImage(IRangeReader source, VdiHeader header)
        : base(source)
    {
        _header = header;
        _tables = new TableReader(source);
    }

    /// <inheritdoc />
    public override DiskFormat Format => DiskFormat.Vdi;

    /// <inheritdoc />
    public override string Subformat => _header.ImageType == VdiConstants.TypeStatic ? "static" : "dynamic";

    /// <inheritdoc />
    public override long VirtualSize => _header.VirtualSize;

    /// <summary>Inspects and opens a VDI.</summary>
    public static async ValueTask<VdiImage> OpenAsync(IRangeReader source, DiskImageLimits limits, CancellationToken cancellationToken)
    {
        var bytes = new byte[Math.Min(source.Length, VdiConstants.HeaderBytes)];
        await source.ReadStructureAsync("VDI header", 0, bytes, cancellationToken).ConfigureAwait(false);
        var header = VdiHeader.Read(bytes);
        VdiInspector.Inspect(header, source.Length, limits);
        return new VdiImage(source, header);
    }

    /// <inheritdoc />
    protected override async ValueTask<Mapping> MapAsync(long offset, long maxLength, CancellationToken cancellationToken)
    {
        var block = offset / VdiConstants.BlockSize;
        var inBlock = offset - block * VdiConstants.BlockSize;
        var length = Math.Min(maxLength, VdiConstants.BlockSize - inBlock);
        var entry = await ReadEntryAsync(block, cancellationToken).ConfigureAwait(false);
        if (IsZero(entry))
        {
            // Whole runs of unmapped blocks become one mapping, so sparse disks enumerate in few steps.
            var runEnd = (block + 1) * VdiConstants.BlockSize;
            while (runEnd - offset < maxLength && IsZero(await ReadEntryAsync(runEnd / VdiConstants.BlockSize, cancellationToken).ConfigureAwait(false)))
            {
                runEnd += VdiConstants.BlockSize;
            }

            return Mapping.Zero(Math.Min(runEnd - offset, maxLength));
        }

        if (entry >= _header.BlocksInImage)
        {
            ImageThrowHelper.ThrowMalformed($"the VDI block map entry {block} points at block {entry}, beyond the {_header.BlocksInImage} blocks of the image");
        }

        return Mapping.Data(length, _header.OffsetData + (long)entry * VdiConstants.BlockSize + inBlock);
    }

    private static bool IsZero(uint entry) => entry is VdiConstants.UnallocatedBlock or VdiConstants.ZeroedBlock;

    private ValueTask<uint> ReadEntryAsync(long block, CancellationToken cancellationToken) =>
        _tables.ReadUInt32LittleEndianAsync(BlockMap, _header.OffsetBlockMap, _header.BlocksInImage * 4L, block, cancellationToken);
}
