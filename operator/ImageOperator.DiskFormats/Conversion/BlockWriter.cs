namespace ImageOperator.DiskFormats.Conversion;

/// <summary>
/// The data pass shared by the block formats (VDI, dynamic VHD): every allocated block in disk order, whole
/// (zeros inside it become holes in sparse sinks), each optionally preceded by a per-block header.
/// </summary>
internal static class BlockWriter
{
    public static async Task WriteAllocatedBlocksAsync(
        DiskImage source, ImageOutput output, ProgressTracker progress, int blockSize, Func<long, bool> isAllocated,
        ReadOnlyMemory<byte>? blockHeader, CancellationToken cancellationToken)
    {
        var position = 0L; // how far into the virtual disk the output has got
        await foreach (var chunk in SourceStreamer.ReadAsync(source, cancellationToken).ConfigureAwait(false))
        {
            using (chunk)
            {
                for (var offset = chunk.Offset; offset < chunk.End;)
                {
                    var block = offset / blockSize;
                    var blockEnd = Math.Min((block + 1) * blockSize, chunk.End);
                    if (isAllocated(block))
                    {
                        if (offset == block * blockSize && blockHeader is { } header)
                        {
                            await output.WriteAsync(header, cancellationToken).ConfigureAwait(false);
                        }

                        if (chunk.IsHole)
                        {
                            await output.WriteZerosAsync(blockEnd - offset, cancellationToken).ConfigureAwait(false);
                        }
                        else
                        {
                            await WriteSparseAsync(output, chunk.Data[(int)(offset - chunk.Offset)..(int)(blockEnd - chunk.Offset)], cancellationToken).ConfigureAwait(false);
                        }

                        position = blockEnd;
                    }

                    offset = blockEnd;
                }

                progress.Advance(chunk.Length);
            }
        }

        // Only the disk's last block can end early; it is stored whole.
        if (position % blockSize != 0)
        {
            await output.WriteZerosAsync(blockSize - (position % blockSize), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes <paramref name="data"/>, turning its all-zero 64 KiB units into zero runs.</summary>
    public static async ValueTask WriteSparseAsync(ImageOutput output, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var runStart = 0;
        bool? runIsData = null;
        for (var at = 0; at < data.Length; at += AllocationMap.UnitSize)
        {
            var isData = AllocationMap.HoldsData(data.Span, at);
            if (runIsData is { } previous && previous != isData)
            {
                await EmitAsync(output, data[runStart..at], previous, cancellationToken).ConfigureAwait(false);
                runStart = at;
            }

            runIsData = isData;
        }

        if (runIsData is { } last)
        {
            await EmitAsync(output, data[runStart..], last, cancellationToken).ConfigureAwait(false);
        }
    }

    private static ValueTask EmitAsync(ImageOutput output, ReadOnlyMemory<byte> run, bool isData, CancellationToken cancellationToken) =>
        isData ? output.WriteAsync(run, cancellationToken) : output.WriteZerosAsync(run.Length, cancellationToken);
}
