using ImageOperator.DiskFormats.Formats.Raw;
using ImageOperator.DiskFormats.Inspection;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.DiskFormats.Formats.Vhd;

/// <summary>Reads a dynamic VHD (block allocation table and per-block sector bitmaps); fixed VHDs read as a raw prefix.</summary>
internal sealed class VhdImage : MappedDiskImage
{
    private const string Bat = "VHD block allocation table";
    private const string Bitmap = "VHD sector bitmap";

    private readonly TableReader _tables;
    private readonly long _batOffset;
    private readonly long _batBytes;
    private readonly long _blockSize;
    private readonly int _bitmapBytes;
    private readonly long _firstDataOffset;

    private VhdImage(IRangeReader source, VhdFooter footer, VhdDynamicHeader header)
        : base(source)
    {
        VirtualSize = footer.VirtualSize;
        _tables = new TableReader(source);
        _batOffset = (long)header.TableOffset;
        _batBytes = header.MaxTableEntries * 4L;
        _blockSize = header.BlockSize;
        var sectorsPerBlock = _blockSize / VhdConstants.SectorSize;
        _bitmapBytes = (int)((sectorsPerBlock / 8 + VhdConstants.SectorSize - 1) / VhdConstants.SectorSize * VhdConstants.SectorSize);
        _firstDataOffset = VhdConstants.FooterSize + VhdConstants.DynamicHeaderSize;
    }

    /// <inheritdoc />
    public override DiskFormat Format => DiskFormat.Vhd;

    /// <inheritdoc />
    public override string Subformat => "dynamic";

    /// <inheritdoc />
    public override long VirtualSize { get; }

    /// <summary>Inspects and opens a VHD: a footer copy at 0 means dynamic, a footer only at the end means fixed.</summary>
    public static async ValueTask<DiskImage> OpenAsync(IRangeReader source, DiskImageLimits limits, CancellationToken cancellationToken)
    {
        if (source.Length < VhdConstants.FooterSize)
        {
            ImageThrowHelper.ThrowTruncated("VHD footer", 0, VhdConstants.FooterSize, source.Length);
        }

        var buffer = new byte[VhdConstants.DynamicHeaderSize];
        var footerBytes = buffer.AsMemory(0, VhdConstants.FooterSize);
        await source.ReadStructureAsync("VHD footer copy", 0, footerBytes, cancellationToken).ConfigureAwait(false);
        var atStart = footerBytes.Span.StartsWith(VhdConstants.Cookie);
        if (!atStart)
        {
            await source.ReadStructureAsync("VHD footer", source.Length - VhdConstants.FooterSize, footerBytes, cancellationToken).ConfigureAwait(false);
        }

        var footer = VhdFooter.Read(footerBytes.Span);
        VhdInspector.InspectFooter(footer, source.Length, limits);
        if (footer.DiskType == VhdConstants.DiskTypeFixed)
        {
            if (atStart)
            {
                ImageThrowHelper.ThrowMalformed("the fixed VHD has a footer at offset 0; its data would start with the footer");
            }

            return RawImage.OpenPrefix(source, DiskFormat.Vhd, "fixed", footer.VirtualSize);
        }

        if (!atStart)
        {
            ImageThrowHelper.ThrowMalformed("the dynamic VHD has no footer copy at offset 0");
        }

        if (footer.DataOffset != VhdConstants.FooterSize)
        {
            ImageThrowHelper.ThrowMalformed($"the dynamic VHD header offset {footer.DataOffset} is not {VhdConstants.FooterSize}");
        }

        await source.ReadStructureAsync("VHD dynamic-disk header", VhdConstants.FooterSize, buffer, cancellationToken).ConfigureAwait(false);
        var header = VhdDynamicHeader.Read(buffer);
        VhdInspector.InspectDynamicHeader(header, footer.VirtualSize, source.Length, limits);
        return new VhdImage(source, footer, header);
    }

    /// <inheritdoc />
    protected override async ValueTask<Mapping> MapAsync(long offset, long maxLength, CancellationToken cancellationToken)
    {
        var block = offset / _blockSize;
        var inBlock = offset - block * _blockSize;
        var toBlockEnd = Math.Min(maxLength, _blockSize - inBlock);
        var entry = await ReadEntryAsync(block, cancellationToken).ConfigureAwait(false);
        if (entry == VhdConstants.UnallocatedBlock)
        {
            // Whole runs of unallocated blocks become one mapping, so sparse disks enumerate in few steps.
            var zeroEnd = (block + 1) * _blockSize;
            while (zeroEnd - offset < maxLength
                   && await ReadEntryAsync(zeroEnd / _blockSize, cancellationToken).ConfigureAwait(false) == VhdConstants.UnallocatedBlock)
            {
                zeroEnd += _blockSize;
            }

            return Mapping.Zero(Math.Min(zeroEnd - offset, maxLength));
        }

        var bitmapOffset = (long)entry * VhdConstants.SectorSize;
        if (bitmapOffset < _firstDataOffset)
        {
            ImageThrowHelper.ThrowMalformed($"the VHD block {block} is mapped to file offset {bitmapOffset}, inside the headers");
        }

        // A sector whose bitmap bit is clear was never written and reads as zeros (most significant bit first).
        var sector = inBlock / VhdConstants.SectorSize;
        var written = await IsSectorWrittenAsync(bitmapOffset, sector, cancellationToken).ConfigureAwait(false);
        var runEnd = (sector + 1) * VhdConstants.SectorSize;
        while (runEnd - inBlock < toBlockEnd
               && await IsSectorWrittenAsync(bitmapOffset, runEnd / VhdConstants.SectorSize, cancellationToken).ConfigureAwait(false) == written)
        {
            runEnd += VhdConstants.SectorSize;
        }

        var length = Math.Min(runEnd - inBlock, toBlockEnd);
        return written ? Mapping.Data(length, bitmapOffset + _bitmapBytes + inBlock) : Mapping.Zero(length);
    }

    private ValueTask<uint> ReadEntryAsync(long block, CancellationToken cancellationToken) =>
        _tables.ReadUInt32BigEndianAsync(Bat, _batOffset, _batBytes, block, cancellationToken);

    private async ValueTask<bool> IsSectorWrittenAsync(long bitmapOffset, long sector, CancellationToken cancellationToken)
    {
        var bits = await _tables.ReadBytesAsync(Bitmap, bitmapOffset, _bitmapBytes, sector / 8, 1, cancellationToken).ConfigureAwait(false);
        return (bits.Span[0] & (0x80 >> (int)(sector % 8))) != 0;
    }
}
