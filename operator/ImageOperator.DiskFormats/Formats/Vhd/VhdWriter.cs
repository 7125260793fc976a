using System.Buffers.Binary;
using ImageOperator.DiskFormats.Conversion;
using ImageOperator.DiskFormats.Formats.Raw;

namespace ImageOperator.DiskFormats.Formats.Vhd;

/// <summary>
/// Writes VHDs front to back. Fixed: the raw disk then the footer, no pre-scan. Dynamic (2 MiB blocks) from a
/// pre-scanned allocation map: footer copy, dynamic header, BAT, then each allocated block as an all-ones
/// sector bitmap and its data, then the footer again (identical to the copy).
/// </summary>
internal static class VhdWriter
{
    private const int Sector = VhdConstants.SectorSize;
    private const int BlockSize = VhdConstants.DefaultBlockSize;
    private const int UnitsPerBlock = BlockSize / AllocationMap.UnitSize;
    private const long TableOffset = VhdConstants.FooterSize + VhdConstants.DynamicHeaderSize;

    /// <summary>The disk size in whole sectors, within the format's 2040 GiB.</summary>
    public static long DiskSize(long virtualSize)
    {
        var size = (virtualSize + Sector - 1) / Sector * Sector;
        return size <= VhdConstants.MaxSectors * Sector
            ? size
            : throw new ArgumentException($"A VHD holds at most 2040 GiB; the disk is {virtualSize} bytes.");
    }

    public static async Task WriteFixedAsync(DiskImage source, ImageOutput output, ProgressTracker progress, CancellationToken cancellationToken)
    {
        var diskSize = DiskSize(source.VirtualSize);
        await RawWriter.WriteAsync(source, output, progress, cancellationToken).ConfigureAwait(false);
        await output.WriteZerosAsync(diskSize - source.VirtualSize, cancellationToken).ConfigureAwait(false);
        var footer = VhdFooter.ForNewDisk(diskSize, VhdConstants.DiskTypeFixed, VhdConstants.FixedDataOffset);
        await output.WriteAsync(footer.ToBytes(), cancellationToken).ConfigureAwait(false);
    }

    public static async Task WriteDynamicAsync(DiskImage source, AllocationMap map, ImageOutput output, ProgressTracker progress, CancellationToken cancellationToken)
    {
        var diskSize = DiskSize(map.Length);
        var blocks = (diskSize + BlockSize - 1) / BlockSize;
        var tableBytes = (blocks * 4 + Sector - 1) / Sector * Sector;
        bool IsAllocated(long block) => map.AnyAllocated(block * UnitsPerBlock, UnitsPerBlock);

        var table = new byte[tableBytes];
        table.AsSpan().Fill(0xFF);
        var nextSector = (TableOffset + tableBytes) / Sector;
        for (var block = 0L; block < blocks; block++)
        {
            if (IsAllocated(block))
            {
                BinaryPrimitives.WriteUInt32BigEndian(table.AsSpan((int)(block * 4)), checked((uint)nextSector));
                nextSector += (Sector + BlockSize) / Sector;
            }
        }

        var footer = VhdFooter.ForNewDisk(diskSize, VhdConstants.DiskTypeDynamic, VhdConstants.FooterSize).ToBytes();
        await output.WriteAsync(footer, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(VhdDynamicHeader.ForNewDisk(TableOffset, checked((uint)blocks), BlockSize).ToBytes(), cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(table, cancellationToken).ConfigureAwait(false);

        var bitmap = new byte[Sector];
        bitmap.AsSpan().Fill(0xFF);
        await BlockWriter.WriteAllocatedBlocksAsync(source, output, progress, BlockSize, IsAllocated, bitmap, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(footer, cancellationToken).ConfigureAwait(false);
    }
}
