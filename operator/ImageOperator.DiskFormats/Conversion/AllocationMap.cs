using System.Numerics;

namespace ImageOperator.DiskFormats.Conversion;

/// <summary>
/// Which 64 KiB units of a disk hold non-zero bytes, found by a pre-scan: the extent map says where data may
/// be, and every unit of a data extent is checked, so allocated-but-zero ranges stay sparse in the output.
/// One bit per unit: 32 KiB of memory for a 16 GiB disk. Writers with larger blocks group units.
/// </summary>
internal sealed class AllocationMap
{
    public const int UnitSize = 1 << 16;

    private readonly ulong[] _bits;

    private AllocationMap(long length)
    {
        Length = length;
        UnitCount = (length + UnitSize - 1) / UnitSize;
        _bits = new ulong[(UnitCount + 63) / 64];
    }

    /// <summary>Bytes of the disk covered.</summary>
    public long Length { get; }

    public long UnitCount { get; }

    public bool IsAllocated(long unit) => (_bits[unit >> 6] & (1UL << (int)(unit & 63))) != 0;

    /// <summary>Whether any unit in [<paramref name="firstUnit"/>, +<paramref name="count"/>) is allocated.</summary>
    public bool AnyAllocated(long firstUnit, long count)
    {
        var end = Math.Min(firstUnit + count, UnitCount);
        for (var unit = firstUnit; unit < end; unit++)
        {
            if ((unit & 63) == 0 && end - unit >= 64)
            {
                if (_bits[unit >> 6] != 0)
                {
                    return true;
                }

                unit += 63;
                continue;
            }

            if (IsAllocated(unit))
            {
                return true;
            }
        }

        return false;
    }

    public long CountAllocated()
    {
        var count = 0L;
        foreach (var word in _bits)
        {
            count += BitOperations.PopCount(word);
        }

        return count;
    }

    /// <summary>Reads the whole source once and records its non-zero units.</summary>
    public static async Task<AllocationMap> ScanAsync(DiskImage source, ProgressTracker progress, CancellationToken cancellationToken)
    {
        var map = new AllocationMap(source.VirtualSize);
        await foreach (var chunk in SourceStreamer.ReadAsync(source, cancellationToken).ConfigureAwait(false))
        {
            using (chunk)
            {
                if (!chunk.IsHole)
                {
                    map.Record(chunk);
                }

                progress.Advance(chunk.Length);
            }
        }

        return map;
    }

    /// <summary>
    /// Maps every unit a non-zero extent of the source touches, without reading any data: exact for sources whose
    /// allocated clusters are known to hold data (images this engine wrote never store an all-zero unit).
    /// </summary>
    public static async Task<AllocationMap> FromExtentsAsync(DiskImage source, CancellationToken cancellationToken)
    {
        var map = new AllocationMap(source.VirtualSize);
        await foreach (var extent in source.GetExtentsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (extent.Kind == ExtentKind.Zero || extent.Length == 0)
            {
                continue;
            }

            var last = Math.Min((extent.End - 1) / UnitSize, map.UnitCount - 1);
            for (var unit = extent.Offset / UnitSize; unit <= last; unit++)
            {
                map.Mark(unit);
            }
        }

        return map;
    }

    /// <summary>Whether the unit-sized piece of <paramref name="data"/> at <paramref name="offset"/> holds anything but zeros.</summary>
    public static bool HoldsData(ReadOnlySpan<byte> data, int offset) =>
        data.Slice(offset, Math.Min(UnitSize, data.Length - offset)).ContainsAnyExcept((byte)0);

    private void Record(SourceChunk chunk)
    {
        var data = chunk.Data.Span;
        var unit = chunk.Offset / UnitSize;
        for (var at = 0; at < data.Length; at += UnitSize, unit++)
        {
            if (HoldsData(data, at))
            {
                Mark(unit);
            }
        }
    }

    private void Mark(long unit) => _bits[unit >> 6] |= 1UL << (int)(unit & 63);
}
