using System.Buffers;

namespace ImageOperator.DiskFormats.Conversion;

/// <summary>
/// A piece of the source disk in ascending order: either a hole (reads as zeros, no buffer) or up to
/// <see cref="SourceStreamer.ChunkSize"/> bytes of data in a pooled buffer that <see cref="Dispose"/> returns.
/// Data chunks start at multiples of the chunk size.
/// </summary>
internal sealed class SourceChunk : IDisposable
{
    private byte[]? _buffer;

    private SourceChunk(long offset, long length, byte[]? buffer)
    {
        Offset = offset;
        Length = length;
        _buffer = buffer;
    }

    public long Offset { get; }

    public long Length { get; }

    public long End => Offset + Length;

    public bool IsHole => _buffer is null;

    /// <summary>The chunk's bytes (data chunks only).</summary>
    public Memory<byte> Data => _buffer.AsMemory(0, (int)Length);

    public static SourceChunk Hole(long offset, long length) => new(offset, length, null);

    /// <summary>A data chunk whose buffer can always hold a whole chunk, so a partial last unit can be padded.</summary>
    public static SourceChunk Rent(long offset, int length) => new(offset, length, ArrayPool<byte>.Shared.Rent(SourceStreamer.ChunkSize));

    /// <summary>
    /// The <paramref name="unitSize"/> bytes of unit <paramref name="index"/>; a unit cut short by the end of the
    /// disk is padded with zeros, as formats store whole clusters and grains.
    /// </summary>
    public ArraySegment<byte> Unit(int index, int unitSize)
    {
        var start = index * unitSize;
        var end = start + unitSize;
        if (end > Length)
        {
            _buffer.AsSpan((int)Length, end - (int)Length).Clear();
        }

        return new ArraySegment<byte>(_buffer!, start, unitSize);
    }

    /// <summary>Number of units of <paramref name="unitSize"/> bytes the chunk spans, the last one possibly partial.</summary>
    public int UnitCount(int unitSize) => (int)((Length + unitSize - 1) / unitSize);

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
