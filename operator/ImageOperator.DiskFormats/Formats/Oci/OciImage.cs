using System.Runtime.CompilerServices;
using ImageOperator.DiskFormats.Detection;
using ImageOperator.DiskFormats.Formats.Qcow2;
using ImageOperator.DiskFormats.Inspection;
using ImageOperator.DiskFormats.IO;

namespace ImageOperator.DiskFormats.Formats.Oci;

/// <summary>
/// Reads an <c>.oci</c> archive: the QCOW2 disk entry is read in place through a bounded view of the archive, and
/// the metadata comes from the JSON entry (or, failing that, from the disk's own metadata extension).
/// </summary>
internal sealed class OciImage : DiskImage
{
    private readonly DiskImage _disk;
    private readonly List<string> _findings;

    private OciImage(DiskImage disk, ImageMetadata? metadata, List<string> findings)
    {
        _disk = disk;
        Metadata = metadata ?? disk.Metadata;
        _findings = [.. findings, .. disk.Findings];
    }

    /// <inheritdoc />
    public override DiskFormat Format => DiskFormat.Oci;

    /// <inheritdoc />
    public override string Subformat => $"qcow2 {_disk.Subformat}";

    /// <inheritdoc />
    public override long VirtualSize => _disk.VirtualSize;

    /// <inheritdoc />
    public override long AllocatedBytes => _disk.AllocatedBytes;

    /// <inheritdoc />
    public override ImageMetadata? Metadata { get; }

    /// <inheritdoc />
    public override IReadOnlyList<string> Findings => _findings;

    /// <summary>Inspects the archive and opens its disk entry.</summary>
    public static async ValueTask<OciImage> OpenAsync(IRangeReader source, DiskImageLimits limits, CancellationToken cancellationToken)
    {
        var findings = new List<string>();
        TarEntryHeader? disk = null, metadata = null;
        long diskOffset = 0, metadataOffset = 0;
        string? pendingName = null;
        long? pendingSize = null;
        var block = new byte[OciConstants.BlockSize];
        long position = 0;
        for (var entries = 0; ; entries++)
        {
            if (entries == OciConstants.MaxEntries)
            {
                ImageThrowHelper.ThrowLimitExceeded($"the .oci archive has more than {OciConstants.MaxEntries} entries");
            }

            if (position + OciConstants.BlockSize > source.Length)
            {
                ImageThrowHelper.Throw(ImageProblem.Truncated, $"the .oci archive ends at byte {source.Length} without its end-of-archive blocks");
            }

            await source.ReadStructureAsync("tar header", position, block, cancellationToken).ConfigureAwait(false);
            if (TarEntryHeader.IsEndBlock(block))
            {
                break;
            }

            var header = TarEntryHeader.Read(block, position);
            var dataOffset = position + OciConstants.BlockSize;
            var size = pendingSize ?? header.Size;
            var name = pendingName ?? header.Name;
            if (size > source.Length - dataOffset)
            {
                ImageThrowHelper.ThrowTruncated($"tar entry '{name}'", dataOffset, size, source.Length);
            }

            (pendingName, pendingSize) = (null, null);
            if (header.TypeFlag is OciConstants.TypePaxExtended or OciConstants.TypeGnuLongName)
            {
                var data = await ReadSmallEntryAsync(source, header, dataOffset, OciConstants.MaxExtendedHeaderBytes, cancellationToken).ConfigureAwait(false);
                if (header.TypeFlag == OciConstants.TypePaxExtended)
                {
                    (pendingName, pendingSize) = TarEntryHeader.ReadPaxRecords(data, position);
                }
                else
                {
                    pendingName = TarEntryHeader.ReadLongName(data);
                }
            }
            else if (header.IsRegularFile && Matches(name, OciConstants.DiskEntryNames))
            {
                EnsureSingle(disk, name);
                (disk, diskOffset) = (header with { Name = name, Size = size }, dataOffset);
            }
            else if (header.IsRegularFile && Matches(name, OciConstants.MetadataEntryNames))
            {
                EnsureSingle(metadata, name);
                (metadata, metadataOffset) = (header with { Name = name, Size = size }, dataOffset);
            }
            else if (header.TypeFlag is not (OciConstants.TypeDirectory or OciConstants.TypePaxGlobal))
            {
                findings.Add($"the .oci archive entry '{name}' is ignored");
            }

            position = dataOffset + (header with { Size = size }).PaddedSize;
        }

        if (disk is null)
        {
            ImageThrowHelper.ThrowMalformed($"the .oci archive has no disk entry ({string.Join(" or ", OciConstants.DiskEntryNames)})");
        }

        ImageMetadata? parsed = null;
        if (metadata is null)
        {
            findings.Add($"the .oci archive has no metadata entry ({string.Join(" or ", OciConstants.MetadataEntryNames)})");
        }
        else
        {
            var json = await ReadSmallEntryAsync(source, metadata, metadataOffset, limits.MaxMetadataBytes, cancellationToken).ConfigureAwait(false);
            parsed = ImageMetadataJson.Deserialize(json, $"the .oci entry '{metadata.Name}'");
        }

        var view = new SubRangeReader(source, diskOffset, disk.Size);
        var inner = await ImageFormatDetector.DetectAsync(view, cancellationToken).ConfigureAwait(false);
        if (inner != DiskFormat.Qcow2)
        {
            ImageThrowHelper.Throw(ImageProblem.FormatMismatch, $"the .oci disk entry '{disk.Name}' does not contain a QCOW2 image (its content is {DiskImageReader.Name(inner)})");
        }

        return new OciImage(await Qcow2Image.OpenAsync(view, limits, cancellationToken).ConfigureAwait(false), parsed, findings);
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<Extent> GetExtentsAsync(CancellationToken cancellationToken = default) => _disk.GetExtentsAsync(cancellationToken);

    /// <inheritdoc />
    public override ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _disk.ReadAsync(offset, buffer, cancellationToken);

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await _disk.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private static bool Matches(string name, string[] candidates) =>
        candidates.Contains(name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name, StringComparer.Ordinal);

    private static void EnsureSingle(TarEntryHeader? found, string name)
    {
        if (found is not null)
        {
            ImageThrowHelper.ThrowMalformed($"the .oci archive has two entries for the same role ('{found.Name}' and '{name}')");
        }
    }

    private static async ValueTask<byte[]> ReadSmallEntryAsync(IRangeReader source, TarEntryHeader header, long dataOffset, int maxBytes, CancellationToken cancellationToken)
    {
        if (header.Size > maxBytes)
        {
            ImageThrowHelper.ThrowLimitExceeded($"the .oci entry '{header.Name}' holds {header.Size} bytes, more than the {maxBytes} allowed");
        }

        var data = new byte[header.Size];
        await source.ReadStructureAsync($"tar entry '{header.Name}'", dataOffset, data, cancellationToken).ConfigureAwait(false);
        return data;
    }
}
