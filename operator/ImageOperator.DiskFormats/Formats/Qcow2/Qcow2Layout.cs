using System.Buffers.Binary;
using F = ImageOperator.DiskFormats.Formats.Qcow2.Qcow2FieldLocations;

namespace ImageOperator.DiskFormats.Formats.Qcow2;

/// <summary>
/// The on-disk choices of the QCOW2 writers and the structures both of them emit: a v3 header (header_length
/// 112 with compression type zlib, as qemu 7.2 writes), 64 KiB clusters, 16-bit refcounts. Metadata goes in a
/// header extension of type "IMOP" (0x494D4F50): its data is the UTF-8 camelCase JSON of
/// <see cref="ImageMetadata"/>, its length the JSON's byte count, zero-padded to 8 bytes, before the end marker.
/// </summary>
internal static class Qcow2Layout
{
    public const int ClusterBits = Qcow2Constants.DefaultClusterBits;
    public const int ClusterSize = 1 << ClusterBits;
    public const int L2Entries = ClusterSize / Qcow2Constants.L2EntrySize;
    public const int RefcountOrder = Qcow2Constants.Version2RefcountOrder;
    public const int RefcountsPerBlock = ClusterSize * 8 / (1 << RefcountOrder);
    public const int HeaderLength = Qcow2Constants.Version3HeaderLengthWithCompressionType;

    /// <summary>L1/L2 flag: the cluster's refcount is exactly 1.</summary>
    public const ulong Copied = Qcow2Constants.CopiedFlag;

    /// <summary>Bit position of the sector count in a compressed L2 entry: 62 − (cluster_bits − 8).</summary>
    public const int CompressedSizeShift = 62 - (ClusterBits - 8);

    public static long L1Size(long virtualSize) => (virtualSize + ((long)ClusterSize * L2Entries) - 1) / ((long)ClusterSize * L2Entries);

    public static long ClustersFor(long bytes) => (bytes + ClusterSize - 1) / ClusterSize;

    /// <summary>
    /// Clusters of the refcount table and of the refcount blocks needed when <paramref name="otherClusters"/>
    /// clusters exist besides them. The blocks count themselves and the table, hence the fixed point.
    /// </summary>
    public static (long TableClusters, long BlockClusters) RefcountStructures(long otherClusters)
    {
        long table = 1, blocks = 1;
        while (true)
        {
            var total = otherClusters + table + blocks;
            var neededBlocks = (total + RefcountsPerBlock - 1) / RefcountsPerBlock;
            var neededTable = ClustersFor(neededBlocks * 8);
            if (neededBlocks == blocks && neededTable == table)
            {
                return (table, blocks);
            }

            (table, blocks) = (neededTable, neededBlocks);
        }
    }

    /// <summary>The header cluster: header fields, the metadata extension if any, the end-of-extensions marker.</summary>
    public static byte[] Header(long virtualSize, long l1Offset, long refcountTableOffset, long refcountTableClusters, byte[]? metadataJson)
    {
        var header = new byte[ClusterSize];
        var span = header.AsSpan();
        Qcow2Constants.Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt32BigEndian(span[F.Version..], Qcow2Constants.Version3);
        BinaryPrimitives.WriteUInt32BigEndian(span[F.ClusterBits..], ClusterBits);
        BinaryPrimitives.WriteInt64BigEndian(span[F.Size..], virtualSize);
        BinaryPrimitives.WriteUInt32BigEndian(span[F.L1Size..], checked((uint)L1Size(virtualSize)));
        BinaryPrimitives.WriteInt64BigEndian(span[F.L1TableOffset..], l1Offset);
        BinaryPrimitives.WriteInt64BigEndian(span[F.RefcountTableOffset..], refcountTableOffset);
        BinaryPrimitives.WriteUInt32BigEndian(span[F.RefcountTableClusters..], checked((uint)refcountTableClusters));
        BinaryPrimitives.WriteUInt32BigEndian(span[F.RefcountOrder..], RefcountOrder);
        BinaryPrimitives.WriteUInt32BigEndian(span[F.HeaderLength..], HeaderLength);
        span[F.CompressionType] = Qcow2Constants.CompressionZlib;

        var at = HeaderLength;
        if (metadataJson is not null)
        {
            var padded = (metadataJson.Length + 7) & ~7;
            if (at + 8 + padded + 8 > ClusterSize)
            {
                throw new ArgumentException($"The image metadata is {metadataJson.Length} bytes of JSON; a QCOW2 header extension holds at most {ClusterSize - at - 16}.");
            }

            BinaryPrimitives.WriteUInt32BigEndian(span[at..], Qcow2Constants.ExtensionImageOperatorMetadata);
            BinaryPrimitives.WriteUInt32BigEndian(span[(at + 4)..], (uint)metadataJson.Length);
            metadataJson.CopyTo(span[(at + 8)..]);
        }

        // The end-of-extensions marker (type 0, length 0) that follows is already zero.
        return header;
    }

    /// <summary>Metadata JSON for the header extension, or null when there is none.</summary>
    public static byte[]? MetadataJson(ImageMetadata? metadata) => metadata is null ? null : Formats.ImageMetadataJson.Serialize(metadata);

    /// <summary>The refcount table: the offsets of <paramref name="blockCount"/> consecutive refcount blocks.</summary>
    public static byte[] RefcountTable(long tableClusters, long firstBlockCluster, long blockCount)
    {
        var table = new byte[tableClusters * ClusterSize];
        for (var block = 0L; block < blockCount; block++)
        {
            BinaryPrimitives.WriteInt64BigEndian(table.AsSpan((int)(block * 8)), (firstBlockCluster + block) * ClusterSize);
        }

        return table;
    }

    /// <summary>
    /// Writes the refcount blocks for clusters [0, <paramref name="blockCount"/> · refcounts per block), one
    /// block at a time: <paramref name="refcountOf"/> gives each cluster's count.
    /// </summary>
    public static async ValueTask WriteRefcountBlocksAsync(Conversion.ImageOutput output, long blockCount, Func<long, int> refcountOf, CancellationToken cancellationToken)
    {
        var block = new byte[ClusterSize];
        for (var index = 0L; index < blockCount; index++)
        {
            var first = index * RefcountsPerBlock;
            for (var entry = 0; entry < RefcountsPerBlock; entry++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(block.AsSpan(entry * 2), checked((ushort)refcountOf(first + entry)));
            }

            await output.WriteAsync(block, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes a big-endian u64 table entry.</summary>
    public static void SetEntry(Span<byte> table, long index, ulong value) =>
        BinaryPrimitives.WriteUInt64BigEndian(table[(int)(index * 8)..], value);

    /// <summary>The L2 entry of a compressed cluster of <paramref name="length"/> bytes at <paramref name="hostOffset"/>.</summary>
    public static ulong CompressedEntry(long hostOffset, int length)
    {
        var extraSectors = (ulong)(((hostOffset + length - 1) >> 9) - (hostOffset >> 9));
        return Qcow2Constants.CompressedFlag | (extraSectors << CompressedSizeShift) | (ulong)hostOffset;
    }
}
