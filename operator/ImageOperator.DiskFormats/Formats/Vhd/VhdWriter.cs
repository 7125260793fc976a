using System.Buffers.Binary;
using ImageOperator.DiskFormats.Conversion;
using ImageOperator.DiskFormats.Formats.Raw;

namespace ImageOperator.DiskFormats.Formats.Vhd;

/// <summary>
/// Writes VHDs front to back. Fixed: the raw disk then the footer, no pre-scan. Dynamic (2 MiB blocks): footer
/// copy, dynamic header, BAT, then each allocated block as an all-ones sector bitmap and its data, then the
/// footer again (identical to the copy). With a pre-scanned allocation map the dynamic output is forward-only;
/// without one, blocks are decided while reading and the BAT is patched at the end (the sink's head must hold it).
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

    /// <summary>Bytes before the first block of a dynamic VHD: what a one-pass write patches at the end.</summary>
    public static long DynamicMapsLength(long virtualSize) => TableOffset + TableBytes(virtualSize);

    public static async Task WriteDynamicAsync(DiskImage source, AllocationMap? map, ImageOutput output, ProgressTracker progress, CancellationToken cancellationToken)
    {
        var start = output.Position;
        var diskSize = DiskSize(source.VirtualSize);
        var blocks = (diskSize + BlockSize - 1) / BlockSize;
        var table = new byte[TableBytes(source.VirtualSize)];
        table.AsSpan().Fill(0xFF);
        void SetEntry(long block, long offset) => BinaryPrimitives.WriteUInt32BigEndian(table.AsSpan((int)(block * 4)), checked((uint)(offset / Sector)));
        bool IsAllocated(long block) => map!.AnyAllocated(block * UnitsPerBlock, UnitsPerBlock);
        if (map is not null)
        {
            var next = TableOffset + table.Length;
            for (var block = 0L; block < blocks; block++)
            {
                if (IsAllocated(block))
                {
                    SetEntry(block, next);
                    next += Sector + BlockSize;
                }
            }
        }

        var footer = VhdFooter.ForNewDisk(diskSize, VhdConstants.DiskTypeDynamic, VhdConstants.FooterSize).ToBytes();
        await output.WriteAsync(footer, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(VhdDynamicHeader.ForNewDisk(TableOffset, checked((uint)blocks), BlockSize).ToBytes(), cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(table, cancellationToken).ConfigureAwait(false);

        var bitmap = new byte[Sector];
        bitmap.AsSpan().Fill(0xFF);
        if (map is not null)
        {
            await BlockWriter.WriteAllocatedBlocksAsync(source, output, progress, BlockSize, IsAllocated, bitmap, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await BlockWriter.WriteNonZeroBlocksAsync(source, output, start, progress, BlockSize, bitmap, SetEntry, cancellationToken).ConfigureAwait(false);
            await output.PatchHeadAsync(start + TableOffset, table, cancellationToken).ConfigureAwait(false);
        }

        await output.WriteAsync(footer, cancellationToken).ConfigureAwait(false);
    }

    private static int TableBytes(long virtualSize)
    {
        var blocks = (DiskSize(virtualSize) + BlockSize - 1) / BlockSize;
        return checked((int)((blocks * 4 + Sector - 1) / Sector * Sector));
    }
}
