using ImageOperator.DiskFormats.Inspection;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.DiskFormats.Formats.Qcow2;

/// <summary>Reads a QCOW2 image (v2/v3, zero clusters, zlib/zstd compressed clusters, extended L2 subclusters).</summary>
internal sealed class Qcow2Image : MappedDiskImage
{
    private const string L1Table = "QCOW2 L1 table";
    private const string L2Table = "QCOW2 L2 table";

    private readonly Qcow2Header _header;
    private readonly TableReader _tables;
    private readonly long _l1Offset;
    private readonly long _l1Bytes;
    private readonly long _clusterSize;
    private readonly long _l2Entries;
    private readonly long _l1Span;
    private readonly int _compressedOffsetBits;

    private Qcow2Image(IRangeReader source, Qcow2Header header, ImageMetadata? metadata)
        : base(source)
    {
        _header = header;
        Metadata = metadata;
        _tables = new TableReader(source);
        _l1Offset = (long)header.L1TableOffset;
        _l1Bytes = header.L1Size * 8L;
        _clusterSize = header.ClusterSize;
        _l2Entries = header.L2Entries;
        _l1Span = _l2Entries * _clusterSize;
        _compressedOffsetBits = 62 - (header.ClusterBits - 8);
    }

    /// <inheritdoc />
    public override DiskFormat Format => DiskFormat.Qcow2;

    /// <inheritdoc />
    public override string Subformat => _header.Version == Qcow2Constants.Version2 ? "compat=0.10" : "compat=1.1";

    /// <inheritdoc />
    public override long VirtualSize => (long)_header.Size;

    /// <inheritdoc />
    public override ImageMetadata? Metadata { get; }

    /// <summary>Inspects and opens a QCOW2 image.</summary>
    public static async ValueTask<Qcow2Image> OpenAsync(IRangeReader source, DiskImageLimits limits, CancellationToken cancellationToken)
    {
        var fixedPart = new byte[Math.Min(source.Length, Qcow2Constants.Version3HeaderLengthWithCompressionType)];
        await source.ReadStructureAsync("QCOW2 header", 0, fixedPart, cancellationToken).ConfigureAwait(false);
        var clusterSize = Qcow2Header.Read(fixedPart, withExtensions: false).ClusterSize;

        var headerCluster = new byte[Math.Min(source.Length, clusterSize)];
        await source.ReadStructureAsync("QCOW2 header cluster", 0, headerCluster, cancellationToken).ConfigureAwait(false);
        var header = Qcow2Header.Read(headerCluster, withExtensions: true);
        var findings = Qcow2Inspector.Inspect(header, headerCluster, source.Length, limits);

        var image = new Qcow2Image(source, header, Qcow2Inspector.ReadMetadata(header, limits));
        findings.ForEach(image.AddFinding);
        await image.CheckL1EntriesAsync(cancellationToken).ConfigureAwait(false);
        return image;
    }

    /// <summary>Checks every L2 pointer before any read: reserved bits clear, cluster-aligned, inside the file.</summary>
    private async ValueTask CheckL1EntriesAsync(CancellationToken cancellationToken)
    {
        for (long index = 0; index < _header.L1Size; index++)
        {
            var entry = await _tables.ReadUInt64BigEndianAsync(L1Table, _l1Offset, _l1Bytes, index, cancellationToken).ConfigureAwait(false);
            if ((entry & Qcow2Constants.L1ReservedMask) != 0)
            {
                ImageThrowHelper.ThrowMalformed($"QCOW2 L1 entry {index} (0x{entry:X16}) has reserved bits set");
            }

            var l2Offset = (long)(entry & Qcow2Constants.OffsetMask);
            if (l2Offset == 0)
            {
                continue;
            }

            if (l2Offset % _clusterSize != 0 || l2Offset < _clusterSize)
            {
                ImageThrowHelper.ThrowMalformed($"QCOW2 L1 entry {index} points at an L2 table at offset {l2Offset}, which is not a cluster-aligned offset after the header");
            }

            ImageThrowHelper.EnsureWithinFile($"QCOW2 L2 table of L1 entry {index}", l2Offset, _clusterSize, Source.Length);
        }
    }

    /// <inheritdoc />
    protected override async ValueTask<Mapping> MapAsync(long offset, long maxLength, CancellationToken cancellationToken)
    {
        var end = offset + maxLength;
        var l1Index = (offset / _clusterSize) / _l2Entries;
        var l1RangeEnd = Math.Min(end, (l1Index + 1) * _l1Span);
        var l1Entry = await _tables.ReadUInt64BigEndianAsync(L1Table, _l1Offset, _l1Bytes, l1Index, cancellationToken).ConfigureAwait(false);
        var l2Offset = (long)(l1Entry & Qcow2Constants.OffsetMask);
        if (l2Offset == 0)
        {
            return Mapping.Zero(l1RangeEnd - offset);
        }

        // Extend the run over neighbouring clusters of the same L2 table while the storage stays alike: zeros next to
        // zeros, or data whose host clusters are contiguous, so whole runs are read with one request.
        var run = await ClassifyAsync(l2Offset, offset, cancellationToken).ConfigureAwait(false);
        if (run.Kind == MappingKind.Compressed)
        {
            return run.Mapping with { Length = Math.Min(run.Mapping.Length, maxLength) };
        }

        var runEnd = offset + run.Mapping.Length;
        while (runEnd < l1RangeEnd)
        {
            var next = await ClassifyAsync(l2Offset, runEnd, cancellationToken).ConfigureAwait(false);
            var continues = next.Kind == run.Kind
                && (run.Kind == MappingKind.Zero || next.Mapping.HostOffset == run.Mapping.HostOffset + (runEnd - offset));
            if (!continues)
            {
                break;
            }

            runEnd += next.Mapping.Length;
        }

        return run.Mapping with { Length = Math.Min(runEnd, end) - offset };
    }

    /// <inheritdoc />
    protected override async ValueTask<byte[]> DecompressBlockAsync(long storedOffset, int storedLength, CancellationToken cancellationToken)
    {
        var compressed = new byte[storedLength];
        await ReadHostAsync(storedOffset, compressed, cancellationToken).ConfigureAwait(false);
        var codec = _header.CompressionType == Qcow2Constants.CompressionZstd ? BlockDecompressor.Codec.Zstd : BlockDecompressor.Codec.Deflate;
        return BlockDecompressor.Decompress(codec, compressed, (int)_clusterSize, allowShort: false, $"QCOW2 cluster at file offset {storedOffset}");
    }

    /// <summary>The storage of the uniform run that starts at <paramref name="offset"/> and ends at most at the cluster's end.</summary>
    private async ValueTask<(MappingKind Kind, Mapping Mapping)> ClassifyAsync(long l2Offset, long offset, CancellationToken cancellationToken)
    {
        var cluster = offset / _clusterSize;
        var l2Index = cluster % _l2Entries;
        var inCluster = offset - cluster * _clusterSize;
        var entry = await _tables.ReadUInt64BigEndianAsync(L2Table, l2Offset, _clusterSize, l2Index * (_header.L2EntrySize / 8), cancellationToken).ConfigureAwait(false);
        var toClusterEnd = _clusterSize - inCluster;

        if ((entry & Qcow2Constants.CompressedFlag) != 0)
        {
            return (MappingKind.Compressed, CompressedMapping(entry, offset, inCluster, toClusterEnd));
        }

        if ((entry & Qcow2Constants.L2ReservedMask) != 0)
        {
            ImageThrowHelper.ThrowMalformed($"the QCOW2 L2 entry for virtual offset {offset} (0x{entry:X16}) has reserved bits set");
        }

        var host = (long)(entry & Qcow2Constants.OffsetMask);
        if (host % _clusterSize != 0)
        {
            ImageThrowHelper.ThrowMalformed($"the QCOW2 L2 entry for virtual offset {offset} points at unaligned host offset {host}");
        }

        if (_header.HasExtendedL2)
        {
            var bitmap = await _tables.ReadUInt64BigEndianAsync(L2Table, l2Offset, _clusterSize, l2Index * 2 + 1, cancellationToken).ConfigureAwait(false);
            return ClassifySubclusters(bitmap, host, offset, inCluster);
        }

        var zero = host == 0 || (_header.Version >= Qcow2Constants.Version3 && (entry & Qcow2Constants.ZeroFlag) != 0);
        return zero
            ? (MappingKind.Zero, Mapping.Zero(toClusterEnd))
            : (MappingKind.Data, Mapping.Data(toClusterEnd, host + inCluster));
    }

    private (MappingKind Kind, Mapping Mapping) ClassifySubclusters(ulong bitmap, long host, long offset, long inCluster)
    {
        var subclusterSize = _clusterSize / Qcow2Constants.SubclustersPerCluster;
        var first = (int)(inCluster / subclusterSize);
        var kind = SubclusterKind(bitmap, first, host, offset);
        var last = first;
        while (last + 1 < Qcow2Constants.SubclustersPerCluster && SubclusterKind(bitmap, last + 1, host, offset) == kind)
        {
            last++;
        }

        var length = (last + 1) * subclusterSize - inCluster;
        return kind == MappingKind.Zero ? (kind, Mapping.Zero(length)) : (kind, Mapping.Data(length, host + inCluster));
    }

    private static MappingKind SubclusterKind(ulong bitmap, int subcluster, long host, long offset)
    {
        var allocated = (bitmap >> subcluster & 1) != 0;
        var readsZero = (bitmap >> (subcluster + Qcow2Constants.SubclustersPerCluster) & 1) != 0;
        if (allocated && (readsZero || host == 0))
        {
            ImageThrowHelper.ThrowMalformed($"the QCOW2 extended L2 entry for virtual offset {offset} has an invalid subcluster bitmap 0x{bitmap:X16}");
        }

        return allocated ? MappingKind.Data : MappingKind.Zero;
    }

    private Mapping CompressedMapping(ulong entry, long offset, long inCluster, long toClusterEnd)
    {
        var host = (long)(entry & ((1UL << _compressedOffsetBits) - 1));
        var extraSectors = (long)((entry >> _compressedOffsetBits) & ((1UL << (62 - _compressedOffsetBits)) - 1));
        if (host < _clusterSize || host >= Source.Length)
        {
            ImageThrowHelper.ThrowMalformed($"the compressed QCOW2 cluster for virtual offset {offset} points at file offset {host}, outside the file's data area");
        }

        // The descriptor counts whole sectors; the last one may extend past the end of the file.
        var stored = (extraSectors + 1) * Qcow2Constants.CompressedSectorSize - (host & (Qcow2Constants.CompressedSectorSize - 1));
        stored = Math.Min(stored, Source.Length - host);
        return Mapping.Compressed(toClusterEnd, host, (int)stored, (int)inCluster);
    }
}
