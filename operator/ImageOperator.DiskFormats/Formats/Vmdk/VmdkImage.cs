using System.Buffers.Binary;
using ImageOperator.DiskFormats.Inspection;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.DiskFormats.Formats.Vmdk;

/// <summary>
/// Reads a hosted sparse VMDK extent that holds its own descriptor: monolithicSparse, and streamOptimized
/// (compressed grains with markers, grain directory at the end found through the footer).
/// </summary>
internal sealed class VmdkImage : MappedDiskImage
{
    private const string GrainDirectory = "VMDK grain directory";
    private const string GrainTable = "VMDK grain table";

    private readonly VmdkHeader _header;
    private readonly TableReader _tables;
    private readonly long _directoryOffset;
    private readonly long _directoryBytes;
    private readonly long _grainSize;
    private readonly long _tableBytes;

    private VmdkImage(IRangeReader source, VmdkHeader header, string subformat)
        : base(source)
    {
        _header = header;
        Subformat = subformat;
        _tables = new TableReader(source);
        _directoryOffset = (long)header.GrainDirectorySector * VmdkConstants.SectorSize;
        _directoryBytes = header.GrainDirectoryEntries * 4;
        _grainSize = header.GrainSize;
        _tableBytes = header.NumGtesPerGt * 4L;
    }

    /// <inheritdoc />
    public override DiskFormat Format => DiskFormat.Vmdk;

    /// <inheritdoc />
    public override string Subformat { get; }

    /// <inheritdoc />
    public override long VirtualSize => (long)_header.CapacitySectors * VmdkConstants.SectorSize;

    /// <summary>Inspects and opens a VMDK; descriptor files and ESX COWD extents are refused.</summary>
    public static async ValueTask<VmdkImage> OpenAsync(IRangeReader source, DiskImageLimits limits, CancellationToken cancellationToken)
    {
        var head = new byte[Math.Min(source.Length, VmdkConstants.HeaderSize)];
        await source.ReadStructureAsync("VMDK header", 0, head, cancellationToken).ConfigureAwait(false);
        if (head.AsSpan().StartsWith(VmdkConstants.EsxCowdMagic))
        {
            ImageThrowHelper.ThrowUnsupported("ESX COWD sparse VMDK extents are not supported (monolithicSparse or streamOptimized only)");
        }

        if (head.AsSpan().StartsWith(VmdkConstants.DescriptorSignature))
        {
            var text = new byte[Math.Min(source.Length, VmdkConstants.MaxDescriptorBytes)];
            await source.ReadStructureAsync("VMDK descriptor file", 0, text, cancellationToken).ConfigureAwait(false);
            VmdkInspector.RefuseDescriptorFile(VmdkDescriptor.Parse(text));
        }

        var header = VmdkHeader.Read(head);
        var findings = new List<string>();
        var descriptor = await ReadEmbeddedDescriptorAsync(source, header, cancellationToken).ConfigureAwait(false);
        if (descriptor is null)
        {
            findings.Add("the VMDK has no embedded descriptor");
        }
        else
        {
            VmdkInspector.InspectEmbeddedDescriptor(descriptor, header, findings);
        }

        if (header.GrainDirectorySector == VmdkConstants.GrainDirectoryAtEnd)
        {
            header = await ReadFooterAsync(source, cancellationToken).ConfigureAwait(false);
        }

        VmdkInspector.InspectHeader(header, source.Length, limits);
        if (header.UncleanShutdown != 0)
        {
            findings.Add("the VMDK was not closed cleanly (uncleanShutdown set); its grain tables are read as they are");
        }

        var subformat = descriptor?.CreateType
            ?? (header.HasCompressedGrains && header.HasMarkers ? VmdkConstants.SupportedCreateTypes[1] : VmdkConstants.SupportedCreateTypes[0]);
        var image = new VmdkImage(source, header, subformat);
        findings.ForEach(image.AddFinding);
        return image;
    }

    /// <inheritdoc />
    protected override async ValueTask<Mapping> MapAsync(long offset, long maxLength, CancellationToken cancellationToken)
    {
        var end = offset + maxLength;
        var grain = offset / _grainSize;
        var directoryIndex = grain / _header.NumGtesPerGt;
        var tableEnd = Math.Min(end, (directoryIndex + 1) * _header.GrainTableSpan);
        var tableSector = await _tables.ReadUInt32LittleEndianAsync(GrainDirectory, _directoryOffset, _directoryBytes, directoryIndex, cancellationToken).ConfigureAwait(false);
        if (tableSector == 0)
        {
            return Mapping.Zero(tableEnd - offset);
        }

        var tableOffset = (long)tableSector * VmdkConstants.SectorSize;
        var first = await ClassifyAsync(tableOffset, offset, cancellationToken).ConfigureAwait(false);
        if (first.Kind == MappingKind.Compressed)
        {
            return first with { Length = Math.Min(first.Length, maxLength) };
        }

        // Neighbouring grains of the same table extend the run: zeros next to zeros, or contiguous stored grains.
        var runEnd = offset + first.Length;
        while (runEnd < tableEnd)
        {
            var next = await ClassifyAsync(tableOffset, runEnd, cancellationToken).ConfigureAwait(false);
            if (next.Kind != first.Kind || first.Kind == MappingKind.Data && next.HostOffset != first.HostOffset + (runEnd - offset))
            {
                break;
            }

            runEnd += next.Length;
        }

        return first with { Length = Math.Min(runEnd, end) - offset };
    }

    /// <inheritdoc />
    protected override async ValueTask<byte[]> DecompressBlockAsync(long storedOffset, int storedLength, CancellationToken cancellationToken)
    {
        var dataOffset = storedOffset;
        var dataLength = (int)Math.Min(2 * _grainSize, Source.Length - storedOffset);
        var lastGrain = false;
        if (_header.HasMarkers)
        {
            var marker = new byte[VmdkConstants.GrainMarkerHeaderSize];
            await Source.ReadStructureAsync("VMDK grain marker", storedOffset, marker, cancellationToken).ConfigureAwait(false);
            var lba = BinaryPrimitives.ReadUInt64LittleEndian(marker);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(marker.AsSpan(VmdkFieldLocations.MarkerSize));
            if (size == 0 || size > 2 * _grainSize)
            {
                ImageThrowHelper.ThrowMalformed($"the VMDK grain marker at file offset {storedOffset} declares {size} compressed bytes (at most {2 * _grainSize})");
            }

            dataOffset += VmdkConstants.GrainMarkerHeaderSize;
            dataLength = (int)size;
            lastGrain = lba < _header.CapacitySectors && (_header.CapacitySectors - lba) * VmdkConstants.SectorSize < (ulong)_grainSize;
        }

        var compressed = new byte[dataLength];
        await Source.ReadStructureAsync("VMDK compressed grain", dataOffset, compressed, cancellationToken).ConfigureAwait(false);
        return BlockDecompressor.Decompress(BlockDecompressor.Codec.ZLib, compressed, (int)_grainSize, allowShort: lastGrain, $"VMDK grain at file offset {storedOffset}");
    }

    private async ValueTask<Mapping> ClassifyAsync(long tableOffset, long offset, CancellationToken cancellationToken)
    {
        var grain = offset / _grainSize;
        var inGrain = offset - grain * _grainSize;
        var toGrainEnd = _grainSize - inGrain;
        var entry = await _tables.ReadUInt32LittleEndianAsync(GrainTable, tableOffset, _tableBytes, grain % _header.NumGtesPerGt, cancellationToken).ConfigureAwait(false);
        if (entry == 0 || entry == VmdkConstants.ZeroedGrain && _header.HasZeroedGrainEntries)
        {
            return Mapping.Zero(toGrainEnd);
        }

        var host = (long)entry * VmdkConstants.SectorSize;
        if (host < VmdkConstants.HeaderSize || host >= Source.Length)
        {
            ImageThrowHelper.ThrowMalformed($"the VMDK grain for virtual offset {offset} is mapped to file offset {host}, outside the file's data area");
        }

        return _header.HasCompressedGrains
            ? Mapping.Compressed(toGrainEnd, host, 0, (int)inGrain)
            : Mapping.Data(toGrainEnd, host + inGrain);
    }

    private static async ValueTask<VmdkDescriptor?> ReadEmbeddedDescriptorAsync(IRangeReader source, VmdkHeader header, CancellationToken cancellationToken)
    {
        if (header.DescriptorOffsetSectors == 0 || header.DescriptorSizeSectors == 0)
        {
            return null;
        }

        if (header.DescriptorSizeSectors > VmdkConstants.MaxDescriptorBytes / VmdkConstants.SectorSize || header.DescriptorOffsetSectors > (ulong)(source.Length / VmdkConstants.SectorSize))
        {
            ImageThrowHelper.ThrowMalformed($"the VMDK embedded descriptor ({header.DescriptorSizeSectors} sectors at sector {header.DescriptorOffsetSectors}) is out of bounds");
        }

        var bytes = new byte[header.DescriptorSizeSectors * VmdkConstants.SectorSize];
        await source.ReadStructureAsync("VMDK embedded descriptor", (long)header.DescriptorOffsetSectors * VmdkConstants.SectorSize, bytes, cancellationToken).ConfigureAwait(false);
        return VmdkDescriptor.Parse(bytes);
    }

    /// <summary>Reads the header copy of a streamOptimized footer: footer marker, header, end-of-stream marker.</summary>
    private static async ValueTask<VmdkHeader> ReadFooterAsync(IRangeReader source, CancellationToken cancellationToken)
    {
        var trailer = new byte[VmdkConstants.FooterTrailerSize];
        if (source.Length < VmdkConstants.HeaderSize + trailer.Length)
        {
            ImageThrowHelper.ThrowTruncated("VMDK footer", 0, VmdkConstants.HeaderSize + trailer.Length, source.Length);
        }

        await source.ReadStructureAsync("VMDK footer", source.Length - trailer.Length, trailer, cancellationToken).ConfigureAwait(false);
        var footerMarker = trailer.AsSpan(0, VmdkConstants.SectorSize);
        var endOfStream = trailer.AsSpan(2 * VmdkConstants.SectorSize);
        var valid = BinaryPrimitives.ReadUInt32LittleEndian(footerMarker[VmdkFieldLocations.MarkerSize..]) == 0
            && BinaryPrimitives.ReadUInt32LittleEndian(footerMarker[VmdkFieldLocations.MarkerType..]) == VmdkConstants.MarkerFooter
            && endOfStream[..16].IndexOfAnyExcept((byte)0) < 0;
        if (!valid)
        {
            ImageThrowHelper.ThrowMalformed("the streamOptimized VMDK stores its grain directory at the end, but the file does not end with a footer and an end-of-stream marker");
        }

        var footer = VmdkHeader.Read(trailer.AsSpan(VmdkConstants.SectorSize, VmdkConstants.SectorSize));
        if (footer.GrainDirectorySector == VmdkConstants.GrainDirectoryAtEnd)
        {
            ImageThrowHelper.ThrowMalformed("the VMDK footer does not say where the grain directory is");
        }

        return footer;
    }
}
