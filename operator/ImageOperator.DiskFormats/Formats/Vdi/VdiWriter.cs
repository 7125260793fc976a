using System.Buffers.Binary;
using ImageOperator.DiskFormats.Conversion;

namespace ImageOperator.DiskFormats.Formats.Vdi;

/// <summary>
/// Writes a dynamic VDI (1 MiB blocks): header, block map, then the allocated blocks in disk order. With a
/// pre-scanned allocation map the output is forward-only; without one, blocks are decided while reading and
/// the header and block map are patched at the end (the sink's head must hold them). Fresh random image and
/// snapshot UUIDs (VirtualBox refuses to register two disks with one UUID).
/// </summary>
internal sealed class VdiWriter
{
    private const int Sector = VdiConstants.SectorSize;
    private const int BlockSize = VdiConstants.BlockSize;
    private const int UnitsPerBlock = BlockSize / AllocationMap.UnitSize;

    private readonly long _diskSize;
    private readonly uint _blocks;
    private readonly int _mapBytes;

    public VdiWriter(long virtualSize)
    {
        _diskSize = (virtualSize + Sector - 1) / Sector * Sector;
        _blocks = checked((uint)((_diskSize + BlockSize - 1) / BlockSize));
        if (_blocks > VdiConstants.MaxBlocks)
        {
            throw new ArgumentException($"A VDI holds at most {VdiConstants.MaxBlocks} blocks of 1 MiB; the disk is {virtualSize} bytes.");
        }

        _mapBytes = checked((int)((_blocks * 4L + Sector - 1) / Sector * Sector));
    }

    /// <summary>Bytes before the first block: what a one-pass write patches at the end.</summary>
    public long MapsLength => Sector + _mapBytes;

    public async Task WriteAsync(DiskImage source, AllocationMap? map, ImageOutput output, ProgressTracker progress, CancellationToken cancellationToken)
    {
        var start = output.Position;
        var blockMap = new byte[_mapBytes];
        var allocated = 0u;
        for (var block = 0u; block < _blocks; block++)
        {
            var entry = map is not null && map.AnyAllocated(block * (long)UnitsPerBlock, UnitsPerBlock) ? allocated++ : VdiConstants.UnallocatedBlock;
            BinaryPrimitives.WriteUInt32LittleEndian(blockMap.AsSpan((int)block * 4), entry);
        }

        var header = Header(allocated);
        await output.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(blockMap, cancellationToken).ConfigureAwait(false);
        if (map is not null)
        {
            await BlockWriter.WriteAllocatedBlocksAsync(
                source, output, progress, BlockSize, block => map.AnyAllocated(block * UnitsPerBlock, UnitsPerBlock), blockHeader: null, cancellationToken).ConfigureAwait(false);
            return;
        }

        await BlockWriter.WriteNonZeroBlocksAsync(
            source, output, start, progress, BlockSize, blockHeader: null,
            (block, _) => BinaryPrimitives.WriteUInt32LittleEndian(blockMap.AsSpan((int)block * 4), allocated++),
            cancellationToken).ConfigureAwait(false);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(VdiFieldLocations.BlocksAllocated), allocated);
        await output.PatchHeadAsync(start, header, cancellationToken).ConfigureAwait(false);
        await output.PatchHeadAsync(start + Sector, blockMap, cancellationToken).ConfigureAwait(false);
    }

    private byte[] Header(uint allocated)
    {
        var header = new byte[Sector];
        var span = header.AsSpan();
        "<<< ImageOperator Virtual Disk Image >>>\n"u8.CopyTo(span[VdiFieldLocations.Text..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[VdiFieldLocations.Signature..], VdiConstants.SignatureValue);
        BinaryPrimitives.WriteUInt32LittleEndian(span[VdiFieldLocations.Version..], VdiConstants.Version1_1);
        BinaryPrimitives.WriteUInt32LittleEndian(span[VdiFieldLocations.HeaderSize..], VdiConstants.HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(span[VdiFieldLocations.ImageType..], VdiConstants.TypeDynamic);
        BinaryPrimitives.WriteUInt32LittleEndian(span[VdiFieldLocations.OffsetBlockMap..], Sector);
        BinaryPrimitives.WriteUInt32LittleEndian(span[VdiFieldLocations.OffsetData..], (uint)(Sector + _mapBytes));
        BinaryPrimitives.WriteUInt32LittleEndian(span[VdiFieldLocations.SectorSize..], Sector);
        BinaryPrimitives.WriteInt64LittleEndian(span[VdiFieldLocations.DiskSize..], _diskSize);
        BinaryPrimitives.WriteUInt32LittleEndian(span[VdiFieldLocations.BlockSize..], BlockSize);
        BinaryPrimitives.WriteUInt32LittleEndian(span[VdiFieldLocations.BlocksInImage..], _blocks);
        BinaryPrimitives.WriteUInt32LittleEndian(span[VdiFieldLocations.BlocksAllocated..], allocated);
        Guid.NewGuid().TryWriteBytes(span[VdiFieldLocations.UuidImage..]);
        Guid.NewGuid().TryWriteBytes(span[VdiFieldLocations.UuidLastSnapshot..]);
        return header;
    }
}
