using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImageOperator.DiskFormats.Compression;
using ImageOperator.DiskFormats.Conversion;
using F = ImageOperator.DiskFormats.Formats.Vmdk.VmdkFieldLocations;

namespace ImageOperator.DiskFormats.Formats.Vmdk;

/// <summary>
/// Writes a streamOptimized VMDK (the form VMware, ovftool and ESXi import), forward-only by design: header and
/// embedded descriptor, then each non-zero grain as a zlib stream behind a grain marker, a grain-table marker
/// and table after each 32 MiB span that holds data, the grain directory, a footer (header copy pointing at
/// the directory) and the end-of-stream marker. Grains are compressed on every core, written in order.
/// </summary>
internal sealed class VmdkStreamWriter(long virtualSize, int level)
{
    private const int Sector = VmdkConstants.SectorSize;
    private const int GrainSectors = (int)VmdkConstants.DefaultGrainSectors;
    private const int GrainSize = GrainSectors * Sector;
    private const int GtEntries = (int)VmdkConstants.DefaultGrainTableEntries;
    private const int DescriptorSectors = 20;
    private const int OverheadSectors = GrainSectors;

    private readonly long _capacity = (virtualSize + Sector - 1) / Sector;
    private readonly byte[] _grainTable = new byte[GtEntries * 4];
    private readonly byte[] _scratch = new byte[Sector + Deflater.Bound(GrainSize) + Sector];
    private byte[] _directory = [];
    private long _start;
    private long _tableIndex = -1;
    private bool _tableUsed;

    public async Task WriteAsync(DiskImage source, ImageOutput output, ProgressTracker progress, CancellationToken cancellationToken)
    {
        _start = output.Position;
        var grains = (_capacity + GrainSectors - 1) / GrainSectors;
        var tables = (grains + GtEntries - 1) / GtEntries;
        _directory = new byte[(tables * 4 + Sector - 1) / Sector * Sector];

        await output.WriteAsync(Header(VmdkConstants.GrainDirectoryAtEnd), cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(Descriptor(), cancellationToken).ConfigureAwait(false);
        await output.WriteZerosAsync((OverheadSectors - 1 - DescriptorSectors) * (long)Sector, cancellationToken).ConfigureAwait(false);

        await foreach (var chunk in ParallelCompressor.CompressAsync(source, DeflateFraming.Zlib, level, keepIncompressible: false, cancellationToken).ConfigureAwait(false))
        {
            using (chunk)
            {
                var firstGrain = chunk.Source.Offset / GrainSize;
                for (var index = 0; index < chunk.UnitCount; index++)
                {
                    if (chunk.Encoding(index) == UnitEncoding.Compressed)
                    {
                        await WriteGrainAsync(output, firstGrain + index, chunk.Compressed(index), cancellationToken).ConfigureAwait(false);
                    }
                }

                progress.Advance(chunk.Source.Length);
            }
        }

        await FlushGrainTableAsync(output, cancellationToken).ConfigureAwait(false);
        var gdSector = await WriteMetadataAsync(output, VmdkConstants.MarkerGrainDirectory, _directory, cancellationToken).ConfigureAwait(false);
        await WriteMetadataAsync(output, VmdkConstants.MarkerFooter, Header((ulong)gdSector), cancellationToken).ConfigureAwait(false);
        await output.WriteZerosAsync(Sector, cancellationToken).ConfigureAwait(false); // end-of-stream marker: a zero sector
    }

    private long SectorOf(ImageOutput output) => (output.Position - _start) / Sector;

    private async ValueTask WriteGrainAsync(ImageOutput output, long grain, ReadOnlyMemory<byte> compressed, CancellationToken cancellationToken)
    {
        var tableIndex = grain / GtEntries;
        if (tableIndex != _tableIndex)
        {
            await FlushGrainTableAsync(output, cancellationToken).ConfigureAwait(false);
            _tableIndex = tableIndex;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(_grainTable.AsSpan((int)(grain % GtEntries) * 4), checked((uint)SectorOf(output)));
        _tableUsed = true;

        const int MarkerHeader = VmdkConstants.GrainMarkerHeaderSize;
        var length = (MarkerHeader + compressed.Length + Sector - 1) / Sector * Sector;
        var record = _scratch.AsSpan(0, length);
        BinaryPrimitives.WriteInt64LittleEndian(record[VmdkFieldLocations.MarkerValue..], grain * GrainSectors);
        BinaryPrimitives.WriteInt32LittleEndian(record[VmdkFieldLocations.MarkerSize..], compressed.Length);
        compressed.Span.CopyTo(record[MarkerHeader..]);
        record[(MarkerHeader + compressed.Length)..].Clear();
        await output.WriteAsync(_scratch.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask FlushGrainTableAsync(ImageOutput output, CancellationToken cancellationToken)
    {
        if (!_tableUsed)
        {
            return;
        }

        var tableSector = await WriteMetadataAsync(output, VmdkConstants.MarkerGrainTable, _grainTable, cancellationToken).ConfigureAwait(false);
        BinaryPrimitives.WriteUInt32LittleEndian(_directory.AsSpan((int)_tableIndex * 4), checked((uint)tableSector));
        Array.Clear(_grainTable);
        _tableUsed = false;
    }

    /// <summary>Writes a metadata marker sector and its sector-padded payload; returns the payload's sector.</summary>
    private async ValueTask<long> WriteMetadataAsync(ImageOutput output, uint type, byte[] payload, CancellationToken cancellationToken)
    {
        var sectors = (payload.Length + Sector - 1) / Sector;
        var marker = new byte[Sector];
        BinaryPrimitives.WriteInt64LittleEndian(marker.AsSpan(VmdkFieldLocations.MarkerValue), sectors);
        BinaryPrimitives.WriteUInt32LittleEndian(marker.AsSpan(VmdkFieldLocations.MarkerType), type);
        await output.WriteAsync(marker, cancellationToken).ConfigureAwait(false);
        var payloadSector = SectorOf(output);
        await output.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        await output.WriteZerosAsync((sectors * (long)Sector) - payload.Length, cancellationToken).ConfigureAwait(false);
        return payloadSector;
    }

    private byte[] Header(ulong gdOffset)
    {
        const uint Flags = VmdkConstants.FlagValidNewlineDetection | VmdkConstants.FlagCompressedGrains | VmdkConstants.FlagMarkers;
        var header = new byte[VmdkConstants.HeaderSize];
        var span = header.AsSpan();
        VmdkConstants.SparseMagic.CopyTo(span[F.Magic..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[F.Version..], VmdkConstants.StreamOptimizedVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(span[F.Flags..], Flags);
        BinaryPrimitives.WriteInt64LittleEndian(span[F.Capacity..], _capacity);
        BinaryPrimitives.WriteInt64LittleEndian(span[F.GrainSize..], GrainSectors);
        BinaryPrimitives.WriteInt64LittleEndian(span[F.DescriptorOffset..], 1);
        BinaryPrimitives.WriteInt64LittleEndian(span[F.DescriptorSize..], DescriptorSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(span[F.NumGtesPerGt..], GtEntries);
        BinaryPrimitives.WriteUInt64LittleEndian(span[F.GrainDirectoryOffset..], gdOffset);
        BinaryPrimitives.WriteInt64LittleEndian(span[F.Overhead..], OverheadSectors);
        "\n \r\n"u8.CopyTo(span[F.SingleEndLineChar..]);
        BinaryPrimitives.WriteUInt16LittleEndian(span[F.CompressAlgorithm..], VmdkConstants.CompressionDeflate);
        return header;
    }

    private byte[] Descriptor()
    {
        var cylinders = Math.Min(_capacity / (16 * 63), 16383);
        var text = string.Create(CultureInfo.InvariantCulture, $"""
            # Disk DescriptorFile
            version=1
            CID={RandomNumberGenerator.GetInt32(int.MaxValue):x8}
            parentCID={VmdkConstants.NoParentCid}
            createType="streamOptimized"

            # Extent description
            RW {_capacity} SPARSE "disk.vmdk"

            # The Disk Data Base
            #DDB

            ddb.virtualHWVersion = "4"
            ddb.geometry.cylinders = "{cylinders}"
            ddb.geometry.heads = "16"
            ddb.geometry.sectors = "63"
            ddb.adapterType = "ide"

            """).ReplaceLineEndings("\n");
        var descriptor = new byte[DescriptorSectors * Sector];
        Encoding.ASCII.GetBytes(text, descriptor);
        return descriptor;
    }
}
