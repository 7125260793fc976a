using System.Buffers.Binary;
using ImageOperator.DiskFormats.Inspection;

namespace ImageOperator.DiskFormats.IO;

/// <summary>
/// Reads entries of on-disk allocation tables (L1/L2, grain directories and tables, BATs, block maps) through a
/// bounded cache of pages, so tables of any declared size cost at most <c>pageSize × capacity</c> bytes of memory.
/// </summary>
internal sealed class TableReader(IRangeReader source, int pageSize = 4096, int capacity = 256)
{
    private readonly LruCache<(long Start, int Length), byte[]> _pages = new(capacity);

    /// <summary>Reads the <paramref name="index"/>-th big-endian u64 of the table at <paramref name="tableOffset"/>.</summary>
    public async ValueTask<ulong> ReadUInt64BigEndianAsync(string table, long tableOffset, long tableBytes, long index, CancellationToken cancellationToken)
    {
        var (page, at) = await GetPageAsync(table, tableOffset, tableBytes, index * 8, cancellationToken).ConfigureAwait(false);
        return BinaryPrimitives.ReadUInt64BigEndian(page.AsSpan(at, 8));
    }

    /// <summary>Reads the <paramref name="index"/>-th big-endian u32 of the table at <paramref name="tableOffset"/>.</summary>
    public async ValueTask<uint> ReadUInt32BigEndianAsync(string table, long tableOffset, long tableBytes, long index, CancellationToken cancellationToken)
    {
        var (page, at) = await GetPageAsync(table, tableOffset, tableBytes, index * 4, cancellationToken).ConfigureAwait(false);
        return BinaryPrimitives.ReadUInt32BigEndian(page.AsSpan(at, 4));
    }

    /// <summary>Reads the <paramref name="index"/>-th little-endian u32 of the table at <paramref name="tableOffset"/>.</summary>
    public async ValueTask<uint> ReadUInt32LittleEndianAsync(string table, long tableOffset, long tableBytes, long index, CancellationToken cancellationToken)
    {
        var (page, at) = await GetPageAsync(table, tableOffset, tableBytes, index * 4, cancellationToken).ConfigureAwait(false);
        return BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(at, 4));
    }

    /// <summary>Reads a range of a table (e.g. a VHD sector bitmap) through the page cache; it must not cross a page.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadBytesAsync(string table, long tableOffset, long tableBytes, long position, int length, CancellationToken cancellationToken)
    {
        var (page, at) = await GetPageAsync(table, tableOffset, tableBytes, position, cancellationToken).ConfigureAwait(false);
        return page.AsMemory(at, length);
    }

    private async ValueTask<(byte[] Page, int At)> GetPageAsync(string table, long tableOffset, long tableBytes, long position, CancellationToken cancellationToken)
    {
        var pageStart = position / pageSize * pageSize;
        var length = (int)Math.Min(pageSize, tableBytes - pageStart);
        var page = await _pages.GetOrLoadAsync(
            (tableOffset + pageStart, length),
            (source, table),
            static async (key, state, ct) =>
            {
                var bytes = new byte[key.Length];
                await state.source.ReadStructureAsync(state.table, key.Start, bytes, ct).ConfigureAwait(false);
                return bytes;
            },
            cancellationToken).ConfigureAwait(false);
        return (page, (int)(position - pageStart));
    }
}
