using System.Buffers;
using System.Security.Cryptography;
using ImageOperator.DiskFormats.Compression;
using ImageOperator.DiskFormats.Formats.Oci;
using ImageOperator.DiskFormats.Formats.Qcow2;
using ImageOperator.DiskFormats.Formats.Raw;
using ImageOperator.DiskFormats.Formats.Vdi;
using ImageOperator.DiskFormats.Formats.Vhd;
using ImageOperator.DiskFormats.Formats.Vmdk;

namespace ImageOperator.DiskFormats.Conversion;

/// <summary>
/// Converts an opened <see cref="DiskImage"/> to any output format, streaming into an <see cref="IImageSink"/>
/// with memory bounded by a few MiB whatever the disk size.
/// </summary>
/// <remarks>
/// Formats whose maps precede the data (uncompressed QCOW2, dynamic VDI and VHD, <c>.oci</c> with an
/// uncompressed QCOW2) read the source twice: a pre-scan finds the non-zero 64 KiB units (or, with
/// <see cref="ConversionOptions.SourceAllocationIsExact"/>, the source's extent map stands in for it), then the
/// output is written in one forward pass; with <see cref="ConversionOptions.PreferSinglePass"/> and a sink that can patch
/// its head, they are written in one pass instead and their maps patched in at the end. RAW, fixed VHD, VMDK and
/// compressed QCOW2 read the source once.
/// <para>
/// SHA-256: computed in write order as the bytes go out. An output whose head was patched at the end (compressed
/// QCOW2 alone or in <c>.oci</c>, one-pass map-first formats) cannot be hashed that way, as SHA-256 cannot absorb
/// a changed prefix after the fact, so its digest is computed after completion by reading the output back through
/// <see cref="IHeadPatchSink.ReadCompletedAsync"/>.
/// </para>
/// The sink is completed only when everything succeeded; on failure or cancellation the caller disposes it,
/// which discards the partial output.
/// </remarks>
public static class DiskImageConverter
{
    /// <summary>Writes <paramref name="source"/> to <paramref name="sink"/> in the format of <paramref name="options"/> and completes the sink.</summary>
    public static async Task<ConversionResult> ConvertAsync(
        DiskImage source, IImageSink sink, ConversionOptions options, IProgress<ConversionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(options);
        if (sink.Position != 0)
        {
            throw new ArgumentException("The sink must be empty.", nameof(sink));
        }

        var tracker = new ProgressTracker(progress, source.VirtualSize);
        int? compression = options.Compress || options.Format == OutputFormat.Vmdk ? Deflater.LevelOf(options.CompressionLevel) : null;
        var metadata = options.Metadata ?? (options.Format == OutputFormat.Oci ? new ImageMetadata() : null);
        var compressedQcow2 = compression is not null && options.Format is OutputFormat.Qcow2 or OutputFormat.Oci;
        using var output = new ImageOutput(sink, options.ComputeSha256);
        AllocationMap? map = null;
        if (options.Format is OutputFormat.Qcow2 or OutputFormat.Oci or OutputFormat.Vdi or OutputFormat.Vhd
            && !compressedQcow2
            && !(options.PreferSinglePass && output.HeadCapacity >= SinglePassHead(options.Format, source.VirtualSize, metadata)))
        {
            if (options.SourceAllocationIsExact)
            {
                map = await AllocationMap.FromExtentsAsync(source, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                tracker.Begin(ConversionPhase.Scanning);
                map = await AllocationMap.ScanAsync(source, tracker, cancellationToken).ConfigureAwait(false);
            }
        }

        tracker.Begin(ConversionPhase.Writing);
        var write = options.Format switch
        {
            OutputFormat.Raw => RawWriter.WriteAsync(source, output, tracker, cancellationToken),
            OutputFormat.VhdFixed => VhdWriter.WriteFixedAsync(source, output, tracker, cancellationToken),
            OutputFormat.Vhd => VhdWriter.WriteDynamicAsync(source, map, output, tracker, cancellationToken),
            OutputFormat.Vdi => new VdiWriter(source.VirtualSize).WriteAsync(source, map, output, tracker, cancellationToken),
            OutputFormat.Vmdk => new VmdkStreamWriter(source.VirtualSize, compression!.Value).WriteAsync(source, output, tracker, cancellationToken),
            OutputFormat.Qcow2 when map is null => new Qcow2OnePassWriter(source.VirtualSize, metadata, compression).WriteAsync(source, output, tracker, cancellationToken),
            OutputFormat.Qcow2 => new Qcow2Writer(map, metadata).WriteAsync(source, output, tracker, cancellationToken),
            OutputFormat.Oci => OciWriter.WriteAsync(source, map, metadata!, compression, output, tracker, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Format, "Unknown output format."),
        };
        await write.ConfigureAwait(false);

        var length = output.Position;
        var digest = output.InOrderDigest();
        if (options.CompletionGate is { } gate)
        {
            await gate(cancellationToken).ConfigureAwait(false);
        }

        await sink.CompleteAsync(cancellationToken).ConfigureAwait(false);
        if (options.ComputeSha256 && output.HeadPatched)
        {
            digest = await ReadBackDigestAsync((IHeadPatchSink)sink, length, cancellationToken).ConfigureAwait(false);
        }

        return new ConversionResult(length, digest);
    }

    /// <summary>How much of the output's head a one-pass write of <paramref name="format"/> patches at the end.</summary>
    private static long SinglePassHead(OutputFormat format, long virtualSize, ImageMetadata? metadata) => format switch
    {
        OutputFormat.Vdi => new VdiWriter(virtualSize).MapsLength,
        OutputFormat.Vhd => VhdWriter.DynamicMapsLength(virtualSize),
        OutputFormat.Oci => OciWriter.DiskEntryOffset(metadata!) + Qcow2OnePassWriter.PatchedBytes,
        _ => Qcow2OnePassWriter.PatchedBytes,
    };

    private static async Task<byte[]> ReadBackDigestAsync(IHeadPatchSink sink, long length, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(SourceStreamer.ChunkSize);
        try
        {
            for (var offset = 0L; offset < length;)
            {
                var read = await sink.ReadCompletedAsync(offset, buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - offset)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new IOException($"The completed output ends at byte {offset}, before its length {length}.");
                }

                hash.AppendData(buffer, 0, read);
                offset += read;
            }

            return hash.GetHashAndReset();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
