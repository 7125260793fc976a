using System.Buffers.Binary;
using ImageOperator.DiskFormats.Conversion;

namespace ImageOperator.DiskFormats.Formats.Vdi;

/// <summary>
/// Writes a dynamic VDI (1 MiB blocks) front to back from a pre-scanned allocation map: header, block map,
/// then the allocated blocks in disk order. Fresh random image and snapshot UUIDs (VirtualBox refuses to
/// register two disks with one UUID).
/// </summary>
internal sealed class VdiWriter
{
    private const int Sector = 512;
    private const int BlockSize = 1 << 20;
    private const int UnitsPerBlock = BlockSize / AllocationMap.UnitSize;
    private const uint Unallocated = 0xFFFFFFFF;

    private readonly AllocationMap _map;
    private readonly long _diskSize;
    private readonly uint _blocks;
    private readonly int _mapBytes;

    public VdiWriter(AllocationMap map)
    {
        _map = map;
        _diskSize = (map.Length + Sector - 1) / Sector * Sector;
        _blocks = checked((uint)((_diskSize + BlockSize - 1) / BlockSize));
        _mapBytes = checked((int)((_blocks * 4L + Sector - 1) / Sector * Sector));
    }

    public async Task WriteAsync(DiskImage source, ImageOutput output, ProgressTracker progress, CancellationToken cancellationToken)
    {
        var blockMap = new byte[_mapBytes];
        var allocated = 0u;
        for (var block = 0u; block < _blocks; block++)
        {
            var entry = IsAllocated(block) ? allocated++ : Unallocated;
            BinaryPrimitives.WriteUInt32LittleEndian(blockMap.AsSpan((int)block * 4), entry);
        }

        await output.WriteAsync(Header(allocated), cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(blockMap, cancellationToken).ConfigureAwait(false);
        await BlockWriter.WriteAllocatedBlocksAsync(source, output, progress, BlockSize, IsAllocated, blockHeader: null, cancellationToken).ConfigureAwait(false);
    }

    private bool IsAllocated(long block) => _map.AnyAllocated(block * UnitsPerBlock, UnitsPerBlock);

    private byte[] Header(uint allocated)
    {
        var header = new byte[Sector];
        var span = header.AsSpan();
        "<<< ImageOperator Virtual Disk Image >>>\n"u8.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x40..], 0xBEDA107F);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x44..], 0x00010001);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x48..], 0x180);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x4C..], 1); // dynamic
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x154..], Sector);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x158..], (uint)(Sector + _mapBytes));
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x168..], Sector);
        BinaryPrimitives.WriteInt64LittleEndian(span[0x170..], _diskSize);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x178..], BlockSize);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x180..], _blocks);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x184..], allocated);
        Guid.NewGuid().TryWriteBytes(span[0x188..]);
        Guid.NewGuid().TryWriteBytes(span[0x198..]);
        return header;
    }
}
